/**
 * The build inputs shared with docker/build-push-action, seen by a real build on the real engine:
 * one Dockerfile (fixtures/projects/build-inputs) whose RUN steps look at what each input gives
 * them — a named build context, an ssh agent with a key, a secret from an environment variable, a
 * quoted multi-line secret, an extra host, the size of /dev/shm, a ulimit — built twice, with a
 * stage that no-cache-filters always rebuilds and, on the containerd store, a registry cache on the
 * TLS registry and a provenance attestation (the docker driver on the classic store exports no cache
 * and holds no index); then once more with smoke-run-args.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ROOT, runAction, type ActionRun } from '../support/action.js'
import { imageStore, leftovers, uniqueName } from '../support/docker.js'
import { dockerConfig, tlsJson, tlsRegistry } from '../support/registry-tls.js'

const store = imageStore()
const registry = tlsRegistry()
const PROJECT = '__tests__/fixtures/projects/build-inputs'
const PEM = '-----BEGIN TEST KEY-----\nc21va2VzdGFjay10ZXN0LWtleS1saW5lLW9uZQ==\nc2Vjb25kLWxpbmU=\n-----END TEST KEY-----'
const ENV_SECRET = 'env-secret-value-7f3a'

let before: { containers: string[]; images: string[] }
let scratch: string
let agent: { pid: number; socket: string }

beforeAll(() => {
  before = leftovers()
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'build-inputs-'))
  // An ssh agent of the test's own (openssh-client), holding one key.
  const socket = path.join(scratch, 'agent.sock')
  const started = execFileSync('ssh-agent', ['-s', '-a', socket], { encoding: 'utf8' })
  agent = { pid: Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]), socket }
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'smokestack-itg-key', '-f', path.join(scratch, 'id_ed25519')])
  execFileSync('ssh-add', [path.join(scratch, 'id_ed25519')], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' })
})
afterAll(() => {
  if (agent?.pid) process.kill(agent.pid, 'SIGTERM')
  fs.rmSync(scratch, { recursive: true, force: true })
})

/** What the image's entrypoint prints: the RUN steps' findings, the named context's file, the stamp. */
function imageOutput(run: ActionRun): string {
  const localRef = (JSON.parse(run.outputs.results) as Record<string, { localRef: string }>)['linux/amd64'].localRef
  return execFileSync('docker', ['run', '--rm', localRef], { encoding: 'utf8' })
}

/** The manifests of the index a local image is on the containerd store: `docker save`'s index.json, one level down. */
function loadedIndex(ref: string): { platform?: { os: string }; annotations?: Record<string, string> }[] {
  const top = JSON.parse(execFileSync('sh', ['-c', 'docker save "$1" | tar -xO index.json', 'sh', ref], { encoding: 'utf8' })) as {
    manifests: { digest: string }[]
  }
  const blob = `blobs/sha256/${top.manifests[0].digest.replace(/^sha256:/, '')}`
  return (
    JSON.parse(execFileSync('sh', ['-c', 'docker save "$1" | tar -xO "$2"', 'sh', ref, blob], { encoding: 'utf8', maxBuffer: 1 << 28 })) as {
      manifests: { platform?: { os: string }; annotations?: Record<string, string> }[]
    }
  ).manifests
}

/** The build log's steps, `#N` → the lines of that step. */
function steps(log: string): Map<string, string[]> {
  const byStep = new Map<string, string[]>()
  for (const line of log.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line.trim().replace(/^::debug::/, ''))
    if (m) byStep.set(m[1], [...(byStep.get(m[1]) ?? []), m[2]])
  }
  return byStep
}

/** Whether the build step whose title contains `title` was taken from the cache. */
function cached(log: string, title: string): boolean {
  const step = [...steps(log).values()].find((lines) => lines.some((l) => l.includes(title) && l.startsWith('[')))
  if (!step) throw new Error(`no step "${title}" in the build log`)
  return step.includes('CACHED')
}

describe(`build inputs of docker/build-push-action, in a real build (${store} image store)`, () => {
  it('reach the RUN steps, and the cache is exported, imported and skipped where asked', async () => {
    const nonce = uniqueName('nonce')
    const tools = path.join(scratch, 'tools')
    fs.mkdirSync(tools)
    fs.copyFileSync(path.join(ROOT, PROJECT, 'tools', 'agent-list.pl'), path.join(tools, 'agent-list.pl'))
    fs.writeFileSync(path.join(tools, 'extra.txt'), `from the named context ${nonce}\n`)
    const cacheRef = `${registry.host}/${uniqueName('smokestack-itg/cache')}:buildcache`
    // On the containerd store: a registry cache, and a provenance attestation loaded with the image.
    const cache: Record<string, string> =
      store === 'containerd'
        ? {
            provenance: 'mode=min',
            'cache-from': `type=registry,ref=${cacheRef}`,
            'cache-to': `type=registry,ref=${cacheRef},mode=max`
          }
        : {}
    const inputs: Record<string, string> = {
      context: PROJECT,
      'build-args': `NONCE=${nonce}`,
      'build-contexts': `tools=${tools}`,
      ssh: 'default',
      'secret-envs': 'tok=SMOKESTACK_ITG_SECRET',
      secrets: `"pem=${PEM}"`,
      'add-hosts': 'db.smokestack.test:10.11.12.13',
      'shm-size': '96m',
      ulimit: 'nofile=1024:2048',
      'no-cache-filters': 'stamp',
      ...cache
    }
    const env = {
      SSH_AUTH_SOCK: agent.socket,
      SMOKESTACK_ITG_SECRET: ENV_SECRET,
      DOCKER_CONFIG: dockerConfig(registry, 'login'),
      SSL_CERT_FILE: registry.caBundle,
      // The build's log is echoed in debug mode: the test reads its steps.
      RUNNER_DEBUG: '1'
    }
    const outputs: string[] = []
    const indexes: ReturnType<typeof loadedIndex>[] = []
    const keep = (run: ActionRun): void => {
      outputs.push(imageOutput(run))
      if (store === 'containerd') indexes.push(loadedIndex((JSON.parse(run.outputs.results) as Record<string, { localRef: string }>)['linux/amd64'].localRef))
    }
    const first = await runAction({ inputs, env, beforePost: keep })
    expect(first.exitCode).toBe(0)
    const second = await runAction({ inputs, env, beforePost: keep })
    expect(second.exitCode).toBe(0)

    const [out1, out2] = outputs
    expect(out1).toContain(`nonce: ${nonce}`)
    expect(out1).toContain(`secret-env: ${ENV_SECRET.length} bytes`)
    expect(out1).toContain('pem: 3 newlines')
    expect(out1).toMatch(/hosts: 10\.11\.12\.13\s+db\.smokestack\.test/)
    expect(out1).toContain('shm: 98304 KiB')
    expect(out1).toContain('nofile: 1024')
    expect(out1).toContain('ssh-key: smokestack-itg-key\nssh-keys: 1')
    expect(out1).toContain(`from the named context ${nonce}`)
    // no-cache-filters: the stamp stage ran again, everything else came from the cache.
    const stamp = (out: string): string => out.trim().split('\n').at(-1) ?? ''
    expect(stamp(out2)).not.toBe(stamp(out1))
    expect(out2.replace(stamp(out2), '')).toBe(out1.replace(stamp(out1), ''))
    expect(cached(second.stdout, 'RUN cat /proc/sys/kernel/random/uuid')).toBe(false)
    expect(cached(second.stdout, 'perl /agent-list.pl')).toBe(true)
    expect(cached(first.stdout, 'perl /agent-list.pl')).toBe(false)

    // Every line of the multi-line secret was registered as a mask, and no value is in the log otherwise.
    for (const line of PEM.split('\n')) expect(first.stdout).toContain(`::add-mask::${line}`)
    expect(first.stdout).toContain(`::add-mask::${ENV_SECRET}`)
    const unmasked = first.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'))
    for (const secret of [...PEM.split('\n').slice(1, 3), ENV_SECRET]) expect(unmasked.join('\n')).not.toContain(secret)

    if (store === 'containerd') {
      // The first build exported its cache to the registry; the second imported it from there.
      const cacheRepo = cacheRef.slice(registry.host.length + 1).replace(/:buildcache$/, '')
      expect(tlsJson<{ tags: string[] }>(registry, `/v2/${cacheRepo}/tags/list`).tags).toEqual(['buildcache'])
      expect(first.stdout).toMatch(new RegExp(`exporting cache to registry`))
      expect(second.stdout).toContain(`importing cache manifest from ${cacheRef}`)
      // provenance: the engine holds an index of the image and its attestation (platform unknown/unknown).
      expect(indexes[0].map((m) => m.annotations?.['vnd.docker.reference.type'] ?? m.platform?.os)).toEqual(['linux', 'attestation-manifest'])
    }
    // smoke-run-args, read like the docker command line, reach the start check's container; its
    // output is shown because, as user 65534, it cannot read /root (the check fails on purpose).
    const third = await runAction({
      inputs: {
        ...inputs,
        'smoke-run-args': '-ie SMOKE_GREETING=hi\n-u 65534 -h smoke-host --read-only',
        'smoke-args': '/etc/hostname /proc/self/environ /root/.profile'
      },
      env
    })
    expect(third.exitCode).toBe(1)
    expect((JSON.parse(third.outputs.results) as Record<string, { smoke: { outcome: string } }>)['linux/amd64'].smoke.outcome).toBe('crashed')
    expect(third.summary).toContain('smoke-host')
    expect(third.summary).toContain('SMOKE_GREETING=hi')
    expect(third.summary).toContain("cat: can't open '/root/.profile': Permission denied")
    const runs = [first, second, third]
    if (store === 'classic') {
      // The docker driver on the classic store cannot export cache: buildx says so, and the build fails.
      const refused = await runAction({ inputs: { context: 'examples/hello-go', 'cache-to': `type=local,dest=${path.join(scratch, 'cache')}` } })
      expect(refused.exitCode).toBe(1)
      expect(refused.annotations.some((a) => a.level === 'error' && /Cache export is not supported for the docker driver/.test(a.message))).toBe(true)
      runs.push(refused)
    }
    for (const run of runs) {
      expect(run.post?.exitCode).toBe(0)
      expect(run.leftoverFiles).toEqual([])
    }
    expect(leftovers()).toEqual(before)
    fs.rmSync(env.DOCKER_CONFIG, { recursive: true, force: true })
  })
})
