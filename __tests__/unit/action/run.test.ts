/**
 * run(), the Actions front end, without a runner or an engine: @actions/core and @actions/cache replaced by the
 * typed fakes in __fixtures__/, the exec layer by the scripted engine. Outputs, summary, annotations, the one
 * setFailed, bad input named before any command, log groups in platform order, secrets masked first, the post
 * step's state saved before each resource exists.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '../../../__fixtures__/core.js'
import * as cache from '../../../__fixtures__/cache.js'
import * as fakeExec from '../../../__fixtures__/engine.js'
import * as fakeApi from '../../../__fixtures__/engine-api.js'
import { ADVISED_DOCKERFILE, useWorkspace } from '../../../__fixtures__/workspace.js'
import type { Call } from '../../../__fixtures__/engine.js'

jest.unstable_mockModule('@actions/core', () => core)
jest.unstable_mockModule('@actions/cache', () => cache)
jest.unstable_mockModule('../../../src/docker/exec.js', () => fakeExec)
jest.unstable_mockModule('../../../src/docker/api.js', () => fakeApi)
const { run } = await import('../../../src/action/index.js')
const { ActionsReporter } = await import('../../../src/action/reporter.js')
const { STATE_KEY, parseLeftovers } = await import('../../../src/cleanup.js')
const { engine } = fakeExec

jest.setTimeout(10_000)
const ws = useWorkspace()
const ALL = /^smokestack-local\/42-1-[0-9a-f]{8}:all$/

function vars(): NodeJS.ProcessEnv {
  return { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1', RUNNER_TEMP: ws.temp, GITHUB_STEP_SUMMARY: `${ws.temp}/summary.md` }
}

async function runAction(inputs: Record<string, string>): Promise<void> {
  core.setInputs({ 'setup-qemu': 'false', platforms: 'linux/amd64,linux/arm64', ...inputs })
  await run({ workspace: ws.dir, vars: vars() })
}

const groups = (): string[] => core.transcript.filter((l) => l.startsWith('::group::linux/')).map((l) => l.slice('::group::'.length))
const results = (): Record<string, Record<string, unknown>> => JSON.parse(core.outputs().results) as Record<string, Record<string, unknown>>

beforeEach(() => {
  core.reset()
  cache.reset()
  engine.reset({ store: 'containerd' })
})
afterEach(() => {
  expect(engine.unscripted.map((c) => c.args.join(' '))).toEqual([])
  expect([...engine.docker.containers.keys()]).toEqual([])
})

describe('run() when every platform passes', () => {
  it('writes the outputs and the summary, and fails nothing', async () => {
    await runAction({})
    expect(core.setFailed).not.toHaveBeenCalled()
    const out = core.outputs()
    const ref = engine.commands((a) => a[1] === 'build')[0].find((a) => ALL.test(a))!
    const amd64 = engine.docker.built(ref, 'linux/amd64')
    const arm64 = engine.docker.built(ref, 'linux/arm64')
    expect(results()).toEqual({
      'linux/amd64': expect.objectContaining({
        status: 'passed',
        size: amd64.uncompressedBytes,
        compressedSize: amd64.compressedBytes,
        layers: 2,
        configDigest: amd64.configDigest,
        localRef: ref
      }),
      'linux/arm64': expect.objectContaining({
        status: 'passed',
        size: arm64.uncompressedBytes,
        compressedSize: arm64.compressedBytes,
        layers: 2,
        configDigest: arm64.configDigest,
        localRef: ref
      })
    })
    expect(results()['linux/amd64'].smoke).toMatchObject({ outcome: 'exited', exitCode: 0 })
    expect(JSON.parse(out.sizes)).toEqual({
      'linux/amd64': { size: amd64.uncompressedBytes, compressedSize: amd64.compressedBytes, layers: 2 },
      'linux/arm64': { size: arm64.uncompressedBytes, compressedSize: arm64.compressedBytes, layers: 2 }
    })
    expect(out).toMatchObject({ digest: '', published: '', imageid: '', 'size-delta': '', 'cache-hit': '' })
    expect(out.size).toBe(String(Math.max(amd64.uncompressedBytes, arm64.uncompressedBytes)))
    expect(out['compressed-size']).toBe(String(Math.max(amd64.compressedBytes, arm64.compressedBytes)))
    expect(core.written).toHaveLength(1)
    expect(core.written[0]).toContain('2/2 platforms passed')
    expect(core.written[0]).toMatch(/linux\/amd64[\s\S]*linux\/arm64/)
    // Outside a cache service the cache library is never called.
    expect(cache.restoreCache).not.toHaveBeenCalled()
    expect(cache.saveCache).not.toHaveBeenCalled()
  })

  it('gives the image ID of a single platform', async () => {
    await runAction({ platforms: 'linux/arm64' })
    expect(core.outputs().imageid).toBe(engine.docker.images.get(results()['linux/arm64'].localRef as string)!.id)
  })
})

describe('run() when platforms fail', () => {
  beforeEach(() => {
    engine.reset({
      store: 'containerd',
      platforms: {
        'linux/amd64': {
          start: {
            startError:
              'failed to create task for container: OCI runtime create failed: unable to start container process: exec: "/app": stat /app: no such file or directory: unknown'
          }
        },
        'linux/arm64': { start: { exitCode: 2, output: 'reading config\nfatal: /etc/app.toml: permission denied\n' } },
        // An x86-64 program in the arm/v7 image: it starts (the host runs it natively), the doctor sees it.
        'linux/arm/v7': { image: { programPlatform: 'linux/amd64' } }
      }
    })
  })

  it('fails the step once, with the count, and annotates each failed platform with its cause', async () => {
    await runAction({ platforms: 'linux/amd64,linux/arm64,linux/arm/v7,linux/386' })
    expect(core.setFailed).toHaveBeenCalledTimes(1)
    expect(core.setFailed).toHaveBeenCalledWith('3 of 4 platform(s) failed: linux/amd64, linux/arm64, linux/arm/v7')
    const errors = core.error.mock.calls.map(([message, props]) => ({ message: String(message), title: props?.title }))
    const amd64 = errors.find((e) => e.title === 'smokestack: linux/amd64 failed')!
    // The runtime's words, then what they mean.
    expect(amd64.message).toMatch(/^linux\/amd64: exec \/app: no such file or directory: "exec \/app: no such file or directory" means /)
    const arm64 = errors.find((e) => e.title === 'smokestack: linux/arm64 failed')!
    expect(arm64.message.split('\n')).toEqual([
      'linux/arm64: exited with code 2',
      'Last lines of its output:',
      'reading config',
      'fatal: /etc/app.toml: permission denied'
    ])
    // A finding that is the failure is annotated as itself, once, not repeated as a failure annotation.
    expect(errors.filter((e) => e.title?.includes('linux/arm/v7') || e.message.startsWith('linux/arm/v7'))).toEqual([
      { title: 'smokestack: arch-mismatch', message: expect.stringMatching(/^linux\/arm\/v7: /) }
    ])
    expect(errors.some((e) => e.title?.includes('386'))).toBe(false)
    expect(results()['linux/386'].status).toBe('passed')
    expect(core.written[0]).toContain('3 of 4 platforms failed')
  })
})

describe('run() with bad input', () => {
  it.each([
    ['platforms', 'linux/sparc', /^Input "platforms": "linux\/sparc" is not valid; use os\/arch\[\/variant\]/],
    ['smoke-run-args', '--privileged', /^Input "smoke-run-args": "--privileged" is not valid; --privileged is not /],
    ['max-growth', '5%', /^Input "max-growth": set, but compare-to is empty/]
  ])('names %s=%s and runs no docker command', async (input, value, message) => {
    await runAction({ [input]: value })
    expect(core.setFailed).toHaveBeenCalledTimes(1)
    expect(core.setFailed.mock.calls[0][0]).toMatch(message)
    expect(engine.calls).toEqual([])
    expect(core.setOutput).not.toHaveBeenCalled()
  })

  it('names the advice that fail-on-advice stops at, annotated on its Dockerfile line, before building', async () => {
    ws.dockerfile(ADVISED_DOCKERFILE)
    await runAction({ 'fail-on-advice': 'true' })
    expect(core.warning).toHaveBeenCalledWith(
      expect.stringContaining('`apk add` without --no-cache'),
      expect.objectContaining({ title: 'smokestack: apk-cache', file: 'Dockerfile', startLine: 2 })
    )
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^fail-on-advice is true .*: apk-cache$/))
    expect(engine.commands((a) => a[1] === 'build')).toEqual([])
  })
})

describe('run() log', () => {
  it('prints each platform\u2019s groups in platform order, though arm64 finishes before amd64', async () => {
    const rmOf = (p: string) => (c: Call) => c.args[0] === 'rm' && c.args.at(-1)!.endsWith(`-${p}`)
    engine.holdCommands(async (c) => {
      // amd64's start check ends only once arm64 is done: its container removed, the images measured.
      if (c.args[0] === 'wait' && c.args[1].endsWith('-linux-amd64')) {
        await Promise.all([engine.ended(rmOf('linux-arm64')), engine.ended((x) => x.args[0] === 'image' && x.args[1] === 'save')])
        await new Promise((r) => setTimeout(r, 5))
      }
    })
    await runAction({})
    const rmArm64 = engine.calls.find(rmOf('linux-arm64'))!
    const rmAmd64 = engine.calls.find(rmOf('linux-amd64'))!
    expect(rmArm64.order).toBeLessThan(rmAmd64.order)
    expect(groups()).toEqual([
      'linux/amd64: build',
      'linux/amd64: look inside and start',
      'linux/amd64: size',
      'linux/arm64: build',
      'linux/arm64: look inside and start',
      'linux/arm64: size'
    ])
    // arm64's groups waited for amd64's: nothing of a platform is printed before the platforms before it are done.
    const firstGroup = core.startGroup.mock.invocationCallOrder[core.startGroup.mock.calls.findIndex(([t]) => t.startsWith('linux/'))]
    expect(firstGroup).toBeGreaterThan(rmAmd64.order)
    // Each group holds its own lines.
    const text = core.transcript.join('\n')
    expect(text).toContain('::group::linux/arm64: look inside and start\nreading ')
    expect(text).toMatch(/::group::linux\/arm64: size\n\d+ bytes on disk, \d+ bytes compressed, 2 layers\n::endgroup::/)
  })
})

describe('run() secrets and state', () => {
  it('masks every secret before any command runs', async () => {
    await runAction({ secrets: 'npmrc=tok-abc-123\nsigning=key-456-def', 'build-args': 'API_TOKEN=val-9876\nMODE=fast' })
    const masked = core.setSecret.mock.calls.map(([v]) => v)
    expect(new Set(masked)).toEqual(new Set(['val-9876', 'tok-abc-123', 'key-456-def']))
    for (const order of core.setSecret.mock.invocationCallOrder) expect(order).toBeLessThan(engine.calls[0].order)
    // Nothing written to the log holds a value before it was masked.
    for (const value of new Set(masked)) {
      const first = core.setSecret.mock.invocationCallOrder[masked.indexOf(value)]
      expect(core.logCalls().filter((l) => l.text.includes(value) && l.order < first)).toEqual([])
    }
  })

  it('masks a multi-line value line by line, as the runner matches lines (the inputs give one line per value)', () => {
    new ActionsReporter(ws.dir).secret('-----BEGIN KEY-----\r\nMIIEvQ\n  \nabc==\n-----END KEY-----\n')
    expect(core.setSecret.mock.calls.map(([v]) => v)).toEqual(['-----BEGIN KEY-----', 'MIIEvQ', 'abc==', '-----END KEY-----'])
  })

  it('saves the post step\u2019s state before each container and image exists', async () => {
    await runAction({})
    const states = core.saveState.mock.calls.map(([key, value], i) => ({
      key,
      leftovers: parseLeftovers(String(value)),
      order: core.saveState.mock.invocationCallOrder[i]
    }))
    expect(new Set(states.map((s) => s.key))).toEqual(new Set([STATE_KEY]))
    const stateBefore = (c: Call) => states.filter((s) => s.order < c.order).at(-1)?.leftovers
    const build = engine.calls.find((c) => c.args[1] === 'build')!
    expect(stateBefore(build)?.images).toContainEqual(expect.stringMatching(ALL))
    const creates = engine.calls.filter((c) => c.args[0] === 'create')
    expect(creates).toHaveLength(2)
    for (const c of creates) expect(stateBefore(c)?.containers).toContain(c.args[2])
    // At the end: the containers are gone (removed), the tag and the directories are left for the post step.
    const last = states.at(-1)!.leftovers
    expect(last.containers).toEqual([])
    expect(last.images).toEqual([expect.stringMatching(ALL)])
    expect(last.dirs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${ws.temp}/smokestack-scratch-`)),
        expect.stringMatching(new RegExp(`^${ws.temp}/smokestack-`))
      ])
    )
  })
})
