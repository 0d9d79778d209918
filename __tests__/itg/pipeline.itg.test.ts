/**
 * The action end to end, bundled, on the real engine (whichever image store is running), real
 * buildx, real QEMU and the local registry.
 */
import { describe, it, expect, afterAll } from '@jest/globals'
import * as fs from 'node:fs'
import { runAction, type ActionRun } from '../support/action.js'
import { dockerOut, imageStore, localConfigDigest, registryJson, registryStatus, REGISTRY, uniqueName } from '../support/docker.js'
import { leftoverCheck } from '../support/leftovers.js'

const store = imageStore()

function results(run: ActionRun): Record<
  string,
  {
    status: string
    imageId: string
    size: number
    smoke: { outcome: string; exitCode: number | null; durationMs: number; message: string }
    findings: { code: string }[]
    digest?: string
    configDigest: string
    localRef: string
    compressedSize: number
  }
> {
  return JSON.parse(run.outputs.results)
}

const expectClean = leftoverCheck()

describe(`pipeline on the ${store} image store`, () => {
  it('builds, starts and sizes the tutorial image with CGO_ENABLED=0', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go' } })
    expect(run.exitCode).toBe(0)
    const r = results(run)
    const [platform] = Object.keys(r)
    expect(platform).toBe('linux/amd64')
    expect(r[platform].status).toBe('passed')
    expect(r[platform].smoke.outcome).toBe('exited')
    expect(r[platform].smoke.exitCode).toBe(0)
    expect(run.outputs.imageid).toBe(r[platform].imageId)
    expect(Number(run.outputs.size)).toBeGreaterThan(1_000_000)
    expect(JSON.parse(run.outputs.sizes)[platform].size).toBe(Number(run.outputs.size))
    expect(run.summary).toContain('linux/amd64')
    expect(run.summary).toMatch(/1\/1 platform passed/)
    expectClean(run)
  })

  it('fails the cgo build on alpine and explains the missing loader', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go-cgo' } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.status).toBe('failed')
    expect(r.smoke.outcome).toBe('start-failed')
    expect(r.smoke.message).toBe('exec /code/hellodocker-go: no such file or directory')
    expect(r.findings.map((f) => f.code)).toContain('missing-loader')
    const errors = run.annotations.filter((a) => a.level === 'error')
    const platformError = errors.find((a) => a.message.includes('exec /code/hellodocker-go: no such file or directory'))
    expect(platformError).toBeDefined()
    expect(platformError?.message).toMatch(/CGO_ENABLED=0/)
    expect(errors.some((a) => a.message.includes('/lib64/ld-linux-x86-64.so.2'))).toBe(true)
    expectClean(run)
  })

  it('cross-compiles from $BUILDPLATFORM for three platforms and starts each', async () => {
    const run = await runAction({ inputs: { context: 'examples/cross-compile', platforms: 'linux/amd64,linux/arm64,linux/arm/v7' } })
    expect(run.exitCode).toBe(0)
    const r = results(run)
    expect(Object.keys(r).sort()).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/arm64'])
    for (const p of Object.values(r)) {
      expect(p.status).toBe('passed')
      expect(p.smoke.outcome).toBe('exited')
      expect(p.findings.filter((f) => f.code === 'arch-mismatch')).toEqual([])
    }
    expectClean(run)
  })

  it('fails a program that exits non-zero, with its exit code and the tail of its output', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/exit-nonzero' } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.smoke.outcome).toBe('crashed')
    expect(r.smoke.exitCode).toBe(3)
    expect(run.summary).toContain('fatal: config file /etc/app.conf not found')
    expectClean(run)
  })

  it('accepts an exit code listed in smoke-exit-codes', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/exit-nonzero', 'smoke-exit-codes': '2,3' } })
    expect(run.exitCode).toBe(0)
    expect(results(run)['linux/amd64'].smoke.outcome).toBe('exited')
    expectClean(run)
  })

  it('passes a server that is still running at the timeout, then stops and removes it', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/server', 'smoke-timeout': '3s' } })
    expect(run.exitCode).toBe(0)
    const r = results(run)['linux/amd64']
    expect(r.smoke.outcome).toBe('running')
    expect(r.smoke.durationMs).toBeGreaterThanOrEqual(2900)
    expect(r.smoke.durationMs).toBeLessThan(15000)
    expectClean(run)
  })

  it('pushes two platforms and joins exactly the tested images in one manifest list', async () => {
    const repo = uniqueName('smokestack-itg/push')
    const tags = `${REGISTRY}/${repo}:1.0.0,${REGISTRY}/${repo}:latest`
    const started: Record<string, string> = {}
    const run = await runAction({
      inputs: { context: 'examples/cross-compile', platforms: 'linux/amd64,linux/arm64', push: 'true', tags },
      beforePost: (main) => {
        for (const [platform, p] of Object.entries(results(main))) started[platform] = localConfigDigest(p.localRef, platform)
      }
    })
    expect(run.exitCode).toBe(0)
    const r = results(run)
    const index = registryJson<{ manifests: { digest: string; platform: { architecture: string } }[] }>(
      `/v2/${repo}/manifests/1.0.0`,
      'application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json'
    )
    expect(index.manifests.map((m) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64'])
    const headDigest = dockerOut(['buildx', 'imagetools', 'inspect', `${REGISTRY}/${repo}:latest`, '--format', '{{json .Manifest}}'])
    expect(JSON.parse(headDigest).digest).toBe(run.outputs.digest)
    for (const m of index.manifests) {
      const platform = `linux/${m.platform.architecture}`
      expect(m.digest).toBe(r[platform].digest)
      const manifest = registryJson<{ config: { digest: string; size: number }; layers: { size: number }[] }>(
        `/v2/${repo}/manifests/${m.digest}`,
        'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
      )
      // What was tested is what ships: the pushed config is the started image's config.
      expect(manifest.config.digest).toBe(started[platform])
      expect(r[platform].configDigest).toBe(started[platform])
      // Once pushed, the compressed size is the registry's own figure.
      expect(r[platform].compressedSize).toBe(manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0))
    }
    expectClean(run)
  })

  it('pushes nothing when one platform fails', async () => {
    const repo = uniqueName('smokestack-itg/partial')
    const run = await runAction({
      inputs: { context: 'examples/hello-go-cgo', platforms: 'linux/amd64,linux/arm64', push: 'true', tags: `${REGISTRY}/${repo}:1.0.0` }
    })
    expect(run.exitCode).toBe(1)
    const r = results(run)
    expect(Object.keys(r).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect(r['linux/amd64'].status).toBe('failed')
    expect(registryStatus(`/v2/${repo}/tags/list`)).toBe(404)
    expect(run.summary).toMatch(/Nothing was pushed/)
    expectClean(run)
  })
})

describe('QEMU set-up for real', () => {
  const handler = '/proc/sys/fs/binfmt_misc/qemu-aarch64'
  afterAll(() => {
    if (!fs.existsSync(handler)) dockerOut(['run', '--rm', '--privileged', 'tonistiigi/binfmt:latest', '--install', 'arm64'])
  })

  it('installs a missing arm64 handler with the installer image, then builds and starts arm64', async () => {
    if (fs.existsSync(handler)) fs.writeFileSync(handler, '-1')
    expect(fs.existsSync(handler)).toBe(false)
    const run = await runAction({ inputs: { context: 'examples/cross-compile', platforms: 'linux/arm64' } })
    expect(run.stdout).toMatch(/Installing QEMU handlers for linux\/arm64/)
    expect(run.exitCode).toBe(0)
    expect(fs.existsSync(handler)).toBe(true)
    expect(results(run)['linux/arm64'].smoke.outcome).toBe('exited')
  })
})
