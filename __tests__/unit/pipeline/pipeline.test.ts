/**
 * pipeline() without a runner and without an engine: a recording Reporter and the scripted engine behind the
 * exec layer (__fixtures__/engine.ts). Builds in one solve or one per platform by image store, checks and sizes
 * at once, each platform reported once whatever the order, a failing build or start confined to its platform.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as os from 'node:os'
import * as fakeExec from '../../../__fixtures__/engine.js'
import * as fakeApi from '../../../__fixtures__/engine-api.js'
import { RecordingReporter, recordingResources, testEnv } from '../../../__fixtures__/reporter.js'
import { inputsFrom, useWorkspace } from '../../../__fixtures__/workspace.js'
import type { Call } from '../../../__fixtures__/engine.js'
import type { PlatformScript, Store } from '../../../__fixtures__/docker-engine.js'

jest.unstable_mockModule('../../../src/docker/exec.js', () => fakeExec)
jest.unstable_mockModule('../../../src/docker/api.js', () => fakeApi)
const { pipeline } = await import('../../../src/pipeline/index.js')
const { parseInputs } = await import('../../../src/context.js')
const { platformVerdict } = await import('../../../src/pipeline/status.js')
const { engine, overlap } = fakeExec

const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
const ALL = 'smokestack-local/run1:all'
const is =
  (...words: string[]) =>
  (c: Call): boolean =>
    words.every((w, i) => c.args[i] === w)
const isBuild = is('buildx', 'build')
const isWait = is('wait')
const isSizeSave = is('image', 'save')
const forPlatform = (platform: string) => (c: Call) => c.args.some((a) => a.endsWith(platform.replace(/\//g, '-')))
/** Checks run at once up to the machine's parallelism, but never fewer than four (concurrency.ts). */
const CHECKS_AT_ONCE = Math.min(PLATFORMS.length, Math.max(4, os.availableParallelism()))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Waits until `cond` holds, for at most `ms` (a hold that would deadlock a sequential pipeline ends instead). */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end;) await sleep(2)
}

jest.setTimeout(10_000)
const ws = useWorkspace()

function script(store: Store, platforms: Record<string, PlatformScript> = {}): void {
  engine.reset({ store, platforms })
}

async function runPipeline(values: Record<string, string>, reporter = new RecordingReporter(), resources = recordingResources()) {
  const inputs = parseInputs(inputsFrom({ 'setup-qemu': 'false', platforms: PLATFORMS.join(','), ...values }), ws.dir)
  const result = await pipeline(inputs, testEnv(ws.dir, ws.temp, resources), reporter)
  return { result, reporter, resources }
}

/** Each of `steps` started once and finished once, then the platform was done once, as its last event. */
function expectReportedOnce(reporter: RecordingReporter, platform: string, steps: string[]): void {
  const mine = reporter.events.filter((e) => 'platform' in e && e.platform === platform)
  for (const step of steps) {
    const started = mine.findIndex((e) => e.kind === 'started' && e.step === step)
    const finished = mine.findIndex((e) => e.kind === 'finished' && e.step === step)
    expect(mine.filter((e) => (e.kind === 'started' || e.kind === 'finished') && e.step === step)).toHaveLength(2)
    expect(started).toBeGreaterThanOrEqual(0)
    expect(finished).toBeGreaterThan(started)
  }
  expect(mine.filter((e) => e.kind !== 'started' && e.kind !== 'finished').map((e) => e.kind)).toEqual(['done'])
  expect(mine.at(-1)?.kind).toBe('done')
  expect(
    mine
      .filter((e) => e.kind === 'started')
      .map((e) => (e.kind === 'started' ? e.step : ''))
      .sort()
  ).toEqual([...steps].sort())
}

beforeEach(() => script('containerd'))
afterEach(() => {
  expect(engine.unscripted.map((c) => c.args.join(' '))).toEqual([])
  // Every container the run created was removed.
  expect([...engine.docker.containers.keys()]).toEqual([])
})

describe('pipeline() on the containerd image store', () => {
  it('builds three platforms in one solve, then checks and sizes them at once', async () => {
    const waits = engine.watch(isWait)
    engine.holdCommands(async (c) => {
      // A start check waits for the size's read of the image to be under way, and for the other checks' starts.
      if (isWait(c)) await until(() => engine.calls.some(isSizeSave) && engine.calls.filter(isWait).length >= CHECKS_AT_ONCE)
      if (isSizeSave(c)) await until(() => engine.calls.some(isWait))
    })
    const { result, reporter } = await runPipeline({})

    const builds = engine.commands((a) => a[0] === 'buildx' && a[1] === 'build')
    expect(builds).toHaveLength(1)
    expect(builds[0]).toEqual(expect.arrayContaining(['--platform', PLATFORMS.join(','), '--tag', ALL, '--load', '--provenance=false']))
    expect(builds[0].at(-1)).toBe(ws.dir)
    expect(engine.maxInFlight(waits)).toBe(CHECKS_AT_ONCE)
    const size = engine.calls.filter(isSizeSave)
    expect(size.map((c) => c.args)).toEqual([['image', 'save', ALL]])
    expect(engine.calls.filter(isWait).some((w) => overlap(w, size[0]))).toBe(true)

    expect(result.platforms.map((o) => o.platform)).toEqual(PLATFORMS)
    for (const o of result.platforms) {
      const image = engine.docker.built(ALL, o.platform)
      expect(o.build).toMatchObject({ ok: true, shared: true, ref: ALL, imageId: engine.docker.images.get(ALL)!.id })
      expect(o.check?.start).toMatchObject({ outcome: 'exited', passed: true, exitCode: 0 })
      expect(o.check?.findings.map((f) => f.code)).toEqual(['static-binary'])
      expect(o.size).toMatchObject({ size: image.uncompressedBytes, compressedSize: image.compressedBytes, layers: 2, configDigest: image.configDigest })
      expect(o.size?.largestLayers[0]).toEqual({ size: image.layerTars[1].length, createdBy: 'COPY /out/app /app' })
      expect(platformVerdict(o, { sizeGated: false }).status).toBe('passed')
      expectReportedOnce(reporter, o.platform, ['build', 'check', 'size'])
      // Each platform's container started its own platform's image.
      expect(engine.commands((a) => a[0] === 'create' && a.includes(o.platform))).toHaveLength(1)
    }
    expect(reporter.texts('info')).toContain(`Building ${PLATFORMS.join(', ')} in one solve`)
    expect(result.notes).toEqual([])
  })

  it('reports each platform once and keeps the asked order whatever order the platforms finish in', async () => {
    const reporter = new RecordingReporter()
    // amd64 finishes last: its start check waits until the two others are done.
    engine.holdCommands(async (c) => {
      if (isWait(c) && forPlatform('linux/amd64')(c))
        await Promise.race([Promise.all([reporter.done('linux/arm64'), reporter.done('linux/arm/v7')]), sleep(2000)])
    })
    const { result } = await runPipeline({}, reporter)
    expect(reporter.doneOrder()).toEqual(['linux/arm64', 'linux/arm/v7', 'linux/amd64'])
    expect(result.platforms.map((o) => o.platform)).toEqual(PLATFORMS)
    for (const p of PLATFORMS) expectReportedOnce(reporter, p, ['build', 'check', 'size'])
  })

  it('lets the other platforms finish when one fails its build: the shared solve is retried per platform', async () => {
    const error = 'process "/bin/sh -c make" did not complete successfully: exit code: 2'
    script('containerd', {
      'linux/arm64': {
        buildFails: ['#7 [build 3/4] RUN make', '#7 0.412 cc: error: unrecognized option', `#7 ERROR: ${error}`, `ERROR: failed to solve: ${error}`]
      }
    })
    const { result, reporter } = await runPipeline({})

    expect(engine.commands((a) => a[1] === 'build').map((a) => [a[a.indexOf('--platform') + 1], a[a.indexOf('--tag') + 1]])).toEqual([
      [PLATFORMS.join(','), ALL],
      ['linux/amd64', 'smokestack-local/run1:linux-amd64'],
      ['linux/arm64', 'smokestack-local/run1:linux-arm64'],
      ['linux/arm/v7', 'smokestack-local/run1:linux-arm-v7']
    ])
    const [amd64, arm64, armv7] = result.platforms
    expect(arm64.build).toMatchObject({ ok: false, shared: false, error: `failed to solve: ${error}` })
    expect(arm64.build.logTail).toContain('cc: error: unrecognized option')
    expect(arm64.check).toBeUndefined()
    expect(platformVerdict(arm64, { sizeGated: false }).reason).toMatchObject({ kind: 'build', message: `failed to solve: ${error}` })
    expect(reporter.stepLog('linux/arm64', 'build')).toEqual([`Build failed: failed to solve: ${error}`, ...arm64.build.logTail!.split('\n')])
    expectReportedOnce(reporter, 'linux/arm64', ['build'])
    expect(engine.commands((a) => a[0] === 'create' && a.includes('linux/arm64'))).toEqual([])

    for (const o of [amd64, armv7]) {
      const ref = `smokestack-local/run1:${o.platform.replace(/\//g, '-')}`
      expect(o.build).toMatchObject({ ok: true, shared: false, ref, configDigest: engine.docker.built(ref, o.platform).configDigest })
      expect(o.size).toMatchObject({
        size: engine.docker.built(ref, o.platform).uncompressedBytes,
        compressedSize: engine.docker.built(ref, o.platform).compressedBytes
      })
      expect(platformVerdict(o, { sizeGated: false }).status).toBe('passed')
      expectReportedOnce(reporter, o.platform, ['build', 'check', 'size'])
    }
    expect(reporter.texts('info').find((t) => t.startsWith('The build of all platforms at once failed'))).toContain(error)
  })
})

describe('pipeline() on the classic image store', () => {
  beforeEach(() => script('classic'))

  it('builds each platform on its own, all at once, and measures each image', async () => {
    const builds = engine.watch(isBuild)
    engine.holdCommands(async (c) => {
      if (isBuild(c)) await until(() => engine.calls.filter(isBuild).length === PLATFORMS.length)
    })
    const { result, reporter } = await runPipeline({})
    expect(engine.maxInFlight(builds)).toBe(PLATFORMS.length)
    for (const o of result.platforms) {
      const ref = `smokestack-local/run1:${o.platform.replace(/\//g, '-')}`
      const image = engine.docker.built(ref, o.platform)
      expect(engine.commands((a) => a[1] === 'build' && a.includes(ref))).toEqual([expect.arrayContaining(['--platform', o.platform, '--tag', ref])])
      expect(o.build).toMatchObject({ ok: true, shared: false, imageId: image.configDigest, configDigest: image.configDigest })
      // The classic store knows the unpacked size; the pull size is its layers gzip-compressed.
      expect(o.size).toMatchObject({ size: image.uncompressedBytes, compressedSize: image.compressedBytes, layers: 2 })
      expect(engine.commands((a) => a[0] === 'image' && a[1] === 'save')).toContainEqual(['image', 'save', ref])
      expect(o.check?.start?.outcome).toBe('exited')
      expectReportedOnce(reporter, o.platform, ['build', 'check', 'size'])
    }
    expect(reporter.texts('info').some((t) => t.includes('in one solve'))).toBe(false)
  })
})

describe('pipeline() start checks', () => {
  it('fails a crash with the tail of its output, and a start the runtime refuses as a start failure', async () => {
    script('containerd', {
      'linux/amd64': { start: { exitCode: 3, output: 'starting\nconfig: /etc/app.toml not found\npanic: no config\n' } },
      'linux/arm64': {
        start: {
          startError:
            'failed to create task for container: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app": stat /app: no such file or directory: unknown'
        }
      }
    })
    const { result, reporter } = await runPipeline({})
    const [amd64, arm64, armv7] = result.platforms.map((o) => ({ o, verdict: platformVerdict(o, { sizeGated: false }) }))

    expect(amd64.verdict).toMatchObject({ status: 'failed', reason: { kind: 'crashed', message: 'exited with code 3' } })
    expect(amd64.verdict.reason?.kind === 'crashed' && amd64.verdict.reason.outputTail).toContain('panic: no config')
    expect(reporter.stepLog('linux/amd64', 'check')).toEqual(
      expect.arrayContaining(['Start: crashed — exited with code 3', 'Last lines of its output:', '  panic: no config'])
    )
    expect(arm64.verdict).toMatchObject({ status: 'failed', reason: { kind: 'start-failed', message: 'exec /app: no such file or directory' } })
    expect(armv7.verdict.status).toBe('passed')
    // The failures are the platforms' own: each was measured, and reported done once.
    for (const { o } of [amd64, arm64, armv7]) {
      expect(o.size?.size).toBeGreaterThan(0)
      expectReportedOnce(reporter, o.platform, ['build', 'check', 'size'])
    }
  })

  it('passes a server still running at the timeout, stops it with a grace period, then removes it', async () => {
    script('containerd', {
      'linux/amd64': { start: { running: true, output: 'listening on :8080\n' } },
      'linux/arm64': { start: { running: true, ignoresSigterm: true } }
    })
    const { result } = await runPipeline({ platforms: 'linux/amd64,linux/arm64', 'smoke-timeout': '3s' })
    const [amd64, arm64] = result.platforms
    expect(amd64.check?.start).toMatchObject({ outcome: 'running', passed: true, exitCode: null })
    expect(amd64.check?.start?.message).toMatch(/^still running after \d+\.\d s: it started; stopped and removed$/)
    expect(arm64.check?.start?.message).toMatch(/it ignored SIGTERM, so it was killed and removed$/)
    for (const name of ['smokestack-run1-linux-amd64', 'smokestack-run1-linux-arm64']) {
      const mine = engine.commands((a) => a.at(-1) === name || a[2] === name).map((a) => a.slice(0, 2).join(' '))
      expect(mine).toEqual([
        'create --name',
        'start ' + name,
        'wait ' + name,
        'container inspect',
        'stop --time',
        'container inspect',
        'logs --tail',
        'rm --force'
      ])
    }
  })
})

describe('pipeline() resources', () => {
  it('records each image and container before the command that creates it, and forgets a container once removed', async () => {
    const resources = recordingResources()
    await runPipeline({ platforms: 'linux/amd64,linux/arm64' }, undefined, resources)
    const added = (kind: string, value: string): number => {
      const i = resources.add.mock.calls.findIndex(([k, v]) => k === kind && v === value)
      expect(i).toBeGreaterThanOrEqual(0)
      return resources.add.mock.invocationCallOrder[i]
    }
    const forgotten = (value: string): number => {
      const i = resources.forget.mock.calls.findIndex(([k, v]) => k === 'containers' && v === value)
      expect(i).toBeGreaterThanOrEqual(0)
      return resources.forget.mock.invocationCallOrder[i]
    }
    const build = engine.calls.find(isBuild)!
    expect(added('images', ALL)).toBeLessThan(build.order)
    expect(resources.add.mock.calls[0]).toEqual(['dirs', expect.stringMatching(new RegExp(`^${ws.temp}/smokestack-`))])
    for (const p of ['linux-amd64', 'linux-arm64']) {
      const name = `smokestack-run1-${p}`
      const create = engine.calls.find((c) => c.args[0] === 'create' && c.args[2] === name)!
      const rm = engine.calls.find((c) => c.args[0] === 'rm' && c.args.at(-1) === name)!
      expect(added('containers', name)).toBeLessThan(create.order)
      expect(rm.cleanup).toBe(true)
      expect(forgotten(name)).toBeGreaterThan(rm.order)
      // The doctor's container is named before the doctor runs and forgotten once it is done, before the start.
      const examine = `smokestack-run1-examine-${p}`
      expect(added('containers', examine)).toBeLessThan(forgotten(examine))
      expect(forgotten(examine)).toBeLessThan(create.order)
    }
    // Nothing was forgotten that is still there: the only images kept are the ones the cleanup removes.
    expect(resources.forget.mock.calls.filter(([k]) => k === 'images')).toEqual([])
  })
})
