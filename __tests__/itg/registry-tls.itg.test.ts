/**
 * Publishing to a registry that needs a login over TLS, like ghcr.io: the provisioned
 * registry.smokestack.test:5443, with `docker login` into a DOCKER_CONFIG of the test's own. A good
 * login publishes; a missing or wrong login, or a second registry that is down, fails before
 * anything is pushed anywhere (the registry's catalog says so afterwards).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import { runAction, type ActionRun } from '../support/action.js'
import { imageStore, leftovers, localConfigDigest, uniqueName } from '../support/docker.js'
import { catalog, dockerConfig, tlsJson, tlsRegistry, tlsStatus } from '../support/registry-tls.js'

const store = imageStore()
const registry = tlsRegistry()
let before: { containers: string[]; images: string[] }
const configs: string[] = []

function config(kind: 'login' | 'wrong' | 'none'): string {
  const dir = dockerConfig(registry, kind)
  configs.push(dir)
  return dir
}

function results(run: ActionRun): Record<string, { digest?: string; localRef: string; configDigest: string }> {
  return JSON.parse(run.outputs.results)
}

function expectClean(run: ActionRun): void {
  expect(run.post?.exitCode).toBe(0)
  expect(leftovers()).toEqual(before)
  expect(run.leftoverFiles).toEqual([])
}

/** The publishing error of the step's failure annotation. */
function pushError(run: ActionRun): string | undefined {
  return run.annotations.find((a) => a.level === 'error' && a.message.startsWith('Publishing failed: '))?.message.slice('Publishing failed: '.length)
}

/** The run failed before pushing: its error names the reason, and `repo` does not exist in the registry. */
function expectNothingPushed(run: ActionRun, repo: string, reason: RegExp): void {
  expect(run.exitCode).toBe(1)
  expect(pushError(run)).toMatch(reason)
  expect(catalog(registry)).not.toContain(repo)
  expect(tlsStatus(registry, `/v2/${repo}/tags/list`)).toBe(404)
}

beforeAll(() => {
  before = leftovers()
})
afterAll(() => {
  for (const dir of configs) fs.rmSync(dir, { recursive: true, force: true })
})

describe(`publishing to a registry with a login over TLS (${registry.host}, ${store} image store)`, () => {
  it('publishes with a good login: the manifest list holds the tested images, with their annotations', async () => {
    const repo = uniqueName('smokestack-itg/tls')
    const env = { DOCKER_CONFIG: config('login'), SSL_CERT_FILE: registry.caBundle }
    const started: Record<string, string> = {}
    const run = await runAction({
      inputs: {
        context: 'examples/cross-compile',
        platforms: 'linux/amd64,linux/arm64',
        push: 'true',
        tags: `${registry.host}/${repo}:1.0.0\n${registry.host}/${repo}:latest`,
        annotations: 'manifest:org.opencontainers.image.description=Tested by smokestack, then published'
      },
      env,
      beforePost: (main) => {
        for (const [platform, p] of Object.entries(results(main))) started[platform] = localConfigDigest(p.localRef, platform)
      }
    })
    expect(run.exitCode).toBe(0)
    const r = results(run)
    const index = tlsJson<{ manifests: { digest: string; platform: { architecture: string } }[] }>(
      registry,
      `/v2/${repo}/manifests/latest`,
      'application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json'
    )
    expect(index.manifests.map((m) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64'])
    for (const m of index.manifests) {
      const platform = `linux/${m.platform.architecture}`
      expect(m.digest).toBe(r[platform].digest)
      // buildx's own client, as a user would look: imagetools inspect --raw, with the test's login and CA.
      const inspected = execFileSync('docker', ['buildx', 'imagetools', 'inspect', '--raw', `${registry.host}/${repo}@${m.digest}`], {
        encoding: 'utf8',
        env: { ...process.env, ...env }
      })
      const raw = JSON.parse(inspected) as {
        config: { digest: string }
        annotations?: Record<string, string>
      }
      expect(raw.config.digest).toBe(started[platform])
      // The containerd store pushes the manifest the build made; the classic store makes a new one on
      // push, without annotations (README, Limitations).
      expect(raw.annotations?.['org.opencontainers.image.description']).toBe(store === 'containerd' ? 'Tested by smokestack, then published' : undefined)
    }
    expect(tlsJson<{ tags: string[] }>(registry, `/v2/${repo}/tags/list`).tags.sort()).toEqual(['1.0.0', 'latest'])
    expectClean(run)
  })

  it('fails before pushing anything without a login, naming the registry', async () => {
    const repo = uniqueName('smokestack-itg/tls-nologin')
    const run = await runAction({
      inputs: { context: 'examples/hello-go', push: 'true', tags: `${registry.host}/${repo}:1.0.0` },
      env: { DOCKER_CONFIG: config('none'), SSL_CERT_FILE: registry.caBundle }
    })
    expectNothingPushed(run, repo, new RegExp(`${registry.host.replace(/\./g, '\\.')}/${repo}: not authorised to push without a login .*docker/login-action`))
    expectClean(run)
  })

  it('fails before pushing anything with a wrong login, naming the registry', async () => {
    const repo = uniqueName('smokestack-itg/tls-wrong')
    const run = await runAction({
      inputs: { context: 'examples/hello-go', push: 'true', tags: `${registry.host}/${repo}:1.0.0` },
      env: { DOCKER_CONFIG: config('wrong'), SSL_CERT_FILE: registry.caBundle }
    })
    expectNothingPushed(
      run,
      repo,
      new RegExp(`${registry.host.replace(/\./g, '\\.')}/${repo}: not authorised to push with the login of ${registry.user} from config\\.json; log in first`)
    )
    expectClean(run)
  })

  it('pushes nothing to the registry that is up when another one is down or cannot be reached over TLS', async () => {
    const repo = uniqueName('smokestack-itg/tls-down')
    // The same TLS registry by its loopback address: the engine and buildx would speak plain HTTP to it.
    const tags = [`${registry.host}/${repo}:1.0.0`, `127.0.0.1:5399/${repo}:1.0.0`, `127.0.0.1:5443/${repo}:1.0.0`]
    const run = await runAction({
      inputs: { context: 'examples/hello-go', push: 'true', tags: tags.join('\n') },
      env: { DOCKER_CONFIG: config('login'), SSL_CERT_FILE: registry.caBundle }
    })
    expectNothingPushed(run, repo, /^Nothing was pushed: 2 of 3 destinations cannot be pushed to\.\n/)
    const lines = pushError(run)?.split('\n') ?? []
    expect(lines.slice(1)).toEqual([
      `- 127.0.0.1:5399/${repo}: 127.0.0.1:5399 is unreachable: connect ECONNREFUSED 127.0.0.1:5399`,
      `- 127.0.0.1:5443/${repo}: 127.0.0.1:5443 answers only HTTPS, but the engine and buildx speak plain HTTP to a loopback address; reach the registry under a host name instead (one that resolves to it)`
    ])
    expectClean(run)
  })
})
