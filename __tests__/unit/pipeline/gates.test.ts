/**
 * pipeline() where it stops or holds back: a cancellation between phases (nothing further is sent), the
 * Dockerfile advice with fail-on-advice, the growth gate with and without a baseline, build secrets masked and
 * kept out of the build's arguments. A recording Reporter and the scripted engine (__fixtures__/engine.ts).
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as fakeExec from '../../../__fixtures__/engine.js'
import * as fakeApi from '../../../__fixtures__/engine-api.js'
import { RecordingReporter, recordingResources, testEnv } from '../../../__fixtures__/reporter.js'
import { ADVISED_DOCKERFILE, inputsFrom, useWorkspace } from '../../../__fixtures__/workspace.js'
import type { Call } from '../../../__fixtures__/engine.js'

jest.unstable_mockModule('../../../src/docker/exec.js', () => fakeExec)
jest.unstable_mockModule('../../../src/docker/api.js', () => fakeApi)
const { pipeline } = await import('../../../src/pipeline/index.js')
const { parseInputs } = await import('../../../src/context.js')
const { platformVerdict } = await import('../../../src/pipeline/status.js')
const { engine, cancelCommands, CancelledError } = fakeExec

jest.setTimeout(10_000)
const ws = useWorkspace()
const isBuild = (c: Call): boolean => c.args[0] === 'buildx' && c.args[1] === 'build'
/** The set-up's questions: the engine, its docker context, buildx and the builder. */
const isSetUp = (a: readonly string[]): boolean => a[0] === 'info' || a[0] === 'context' || (a[0] === 'buildx' && (a[1] === 'version' || a[1] === 'inspect'))
/** What the pipeline's own check between phases throws (not the exec layer refusing a command). */
const STOPPED = new CancelledError('smokestack', ['the pipeline']).message

async function runPipeline(values: Record<string, string>, reporter = new RecordingReporter()) {
  const inputs = parseInputs(inputsFrom({ 'setup-qemu': 'false', platforms: 'linux/amd64,linux/arm64', ...values }), ws.dir)
  return pipeline(inputs, testEnv(ws.dir, ws.temp, recordingResources()), reporter)
}

/** A reporter that cancels the run (as a SIGTERM would) when `when` says so of one of its events. */
function cancellingReporter(when: (kind: string, detail: string) => boolean): RecordingReporter {
  const reporter = new RecordingReporter()
  const info = reporter.info.getMockImplementation()!
  reporter.info.mockImplementation((text) => {
    info(text)
    if (when('info', text)) void cancelCommands()
  })
  const finished = reporter.stepFinished.getMockImplementation()!
  reporter.stepFinished.mockImplementation((platform, step, log, outcome) => {
    finished(platform, step, log, outcome)
    if (step === 'build' && when('built', platform)) void cancelCommands()
  })
  const done = reporter.platformDone.getMockImplementation()!
  reporter.platformDone.mockImplementation((outcome) => {
    done(outcome)
    if (when('done', outcome.platform)) void cancelCommands()
  })
  return reporter
}

beforeEach(() => engine.reset({ store: 'containerd' }))
afterEach(() => {
  expect(engine.unscripted.map((c) => c.args.join(' '))).toEqual([])
  expect([...engine.docker.containers.keys()]).toEqual([])
})

describe('pipeline() cancelled', () => {
  it('stops between the set-up and the build: no build is sent, no command even tried', async () => {
    const reporter = cancellingReporter((kind, text) => kind === 'info' && text.startsWith('Engine '))
    await expect(runPipeline({}, reporter)).rejects.toThrow(STOPPED)
    expect(engine.commands((a) => !isSetUp(a))).toEqual([])
    expect(engine.commands(isSetUp).map((a) => a.slice(0, 2).join(' '))).toEqual(expect.arrayContaining(['info --format', 'buildx version', 'buildx inspect']))
    expect(engine.refused).toEqual([])
    expect(reporter.stepStarted).not.toHaveBeenCalled()
  })

  it('does not build each platform again when a cancel stopped the shared solve', async () => {
    engine.holdCommands(async (c) => {
      if (isBuild(c)) await cancelCommands()
    })
    const reporter = new RecordingReporter()
    await expect(runPipeline({}, reporter)).rejects.toThrow(STOPPED)
    expect(engine.calls.filter(isBuild).map((c) => [c.args[c.args.indexOf('--platform') + 1], c.exitCode])).toEqual([['linux/amd64,linux/arm64', 143]])
    expect(engine.refused).toEqual([])
    expect(reporter.texts('info').filter((t) => t.includes('building each platform on its own'))).toEqual([])
  })

  it('stops after the builds: no image is examined, started or measured, no command even tried', async () => {
    const reporter = cancellingReporter((kind, detail) => kind === 'built' && detail === 'linux/arm64')
    await expect(runPipeline({}, reporter)).rejects.toThrow(STOPPED)
    expect(engine.calls.filter(isBuild).map((c) => c.exitCode)).toEqual([0])
    expect(engine.commands((a) => !isSetUp(a) && a[1] !== 'build' && !(a[0] === 'image' && a[1] === 'inspect'))).toEqual([])
    expect(engine.refused).toEqual([])
    expect(reporter.stepStarted.mock.calls.map(([, step]) => step)).toEqual(['build', 'build'])
  })

  it('stops after a cancel during the size comparison, before anything is published', async () => {
    engine.holdCommands(async (c) => {
      if (c.args[0] === 'buildx' && c.args[1] === 'imagetools') await cancelCommands()
    })
    const reporter = new RecordingReporter()
    await expect(runPipeline({ push: 'true', tags: '127.0.0.1:9/app:test', 'compare-to': '127.0.0.1:9/app:base' }, reporter)).rejects.toThrow(STOPPED)
    expect(engine.calls.filter((c) => c.args[1] === 'imagetools').map((c) => c.exitCode)).toEqual([143])
    expect(reporter.phase.mock.calls.map(([title]) => title)).toEqual(['Engine and builder', 'Dockerfile', 'QEMU', 'Compare sizes'])
    expect(engine.refused).toEqual([])
  })

  it('stops after every platform passed, before the comparison and the publishing', async () => {
    const reporter = cancellingReporter((kind, platform) => kind === 'done' && platform === 'linux/arm64')
    await expect(runPipeline({ push: 'true', tags: '127.0.0.1:9/app:test', 'compare-to': '127.0.0.1:9/app:base' }, reporter)).rejects.toThrow(STOPPED)
    expect(reporter.doneOrder().sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect(reporter.phase.mock.calls.map(([title]) => title)).toEqual(['Engine and builder', 'Dockerfile', 'QEMU'])
    expect(engine.commands((a) => a[1] === 'imagetools')).toEqual([])
    expect(engine.refused).toEqual([])
  })

  it('still removes a started container when cancelled during its start check', async () => {
    engine.holdCommands(async (c) => {
      if (c.args[0] === 'wait') await cancelCommands()
    })
    await expect(runPipeline({ platforms: 'linux/amd64' })).rejects.toThrow(STOPPED)
    const rm = engine.calls.find((c) => c.args[0] === 'rm')!
    expect(rm).toMatchObject({ cleanup: true, args: ['rm', '--force', '--volumes', 'smokestack-run1-linux-amd64'] })
    expect(engine.refused.map((c) => c.args.slice(0, 2).join(' '))).toEqual(['container inspect'])
  })
})

describe('pipeline() and the Dockerfile advice', () => {
  it('with fail-on-advice, stops before building and names the advice, which it reported first', async () => {
    ws.dockerfile(ADVISED_DOCKERFILE)
    const reporter = new RecordingReporter()
    await expect(runPipeline({ 'fail-on-advice': 'true' }, reporter)).rejects.toThrow(
      'fail-on-advice is true and the Dockerfile advice found 1 pitfall(s): apk-cache'
    )
    expect(reporter.advice).toHaveBeenCalledTimes(1)
    expect(reporter.advice.mock.calls[0][0]).toEqual([expect.objectContaining({ code: 'apk-cache', file: 'Dockerfile', line: 2, severity: 'warning' })])
    expect(engine.calls.filter(isBuild)).toEqual([])
  })

  it('without it, reports the advice once and builds: advice is not a failure', async () => {
    ws.dockerfile(ADVISED_DOCKERFILE)
    const reporter = new RecordingReporter()
    const result = await runPipeline({}, reporter)
    expect(result.advice.map((f) => f.code)).toEqual(['apk-cache'])
    expect(reporter.advice).toHaveBeenCalledTimes(1)
    expect(result.platforms.map((o) => platformVerdict(o, { sizeGated: false }).status)).toEqual(['passed', 'passed'])
  })
})

describe('pipeline() and the growth gate', () => {
  const BASE = '127.0.0.1:5000/app:base'

  it('says in the notes, and as a warning, that max-growth was not applied when the baseline cannot be read', async () => {
    const reporter = new RecordingReporter()
    const result = await runPipeline({ 'compare-to': BASE, 'max-growth': '5%' }, reporter)
    expect(result.baseline).toMatchObject({ ref: BASE, available: false, growthGateSkipped: true, deltas: [] })
    expect(result.baseline?.reason).toContain(`${BASE}: not found`)
    expect(result.notes).toEqual([
      expect.stringMatching(
        /^Baseline 127\.0\.0\.1:5000\/app:base not compared: .*not found\. The max-growth gate was NOT applied: without a baseline there is no growth to check\.$/
      )
    ])
    expect(reporter.texts('warning')).toContainEqual(expect.stringContaining('The max-growth gate was NOT applied'))
    // A missing baseline fails nothing.
    expect(result.platforms.map((o) => platformVerdict(o, { sizeGated: true }).status)).toEqual(['passed', 'passed'])
  })

  it('fails the platform that grew more than max-growth against the baseline, and only it', async () => {
    engine.reset({ store: 'containerd', registry: { [BASE]: { 'linux/amd64': 2_000, 'linux/arm64': 1_000_000 } } })
    const result = await runPipeline({ 'compare-to': BASE, 'max-growth': '5%' })
    const [amd64, arm64] = result.platforms
    expect(result.baseline).toMatchObject({ available: true, growthGateSkipped: false })
    expect(result.baseline?.deltas.find((d) => d.platform === 'linux/amd64')).toMatchObject({
      change: 'changed',
      baseline: 2_000,
      current: amd64.size!.compressedSize,
      bytes: amd64.size!.compressedSize! - 2_000
    })
    expect(platformVerdict(amd64, { sizeGated: true }).reason).toMatchObject({ kind: 'budget', finding: { code: 'size-growth', platform: 'linux/amd64' } })
    expect(platformVerdict(arm64, { sizeGated: true }).status).toBe('passed')
    expect(result.notes).toEqual([])
  })
})

describe('pipeline() and build secrets', () => {
  it('masks secret values before any command, passes secrets as files only the user reads, and removes them after', async () => {
    let seen: { args: readonly string[]; file: string; mode: number } | undefined
    engine.holdCommands((c) => {
      if (!isBuild(c)) return
      const spec = c.args[c.args.indexOf('--secret') + 1]
      const file = /src=(.*)$/.exec(spec)![1]
      seen = { args: c.args, file: fs.readFileSync(file, 'utf8'), mode: fs.statSync(file).mode & 0o777 }
    })
    const reporter = new RecordingReporter()
    await runPipeline({ platforms: 'linux/amd64', 'build-args': 'API_TOKEN=tok-1234', secrets: 'npmrc=//registry/:_authToken=abcd' }, reporter)
    expect(new Set(reporter.texts('secret'))).toEqual(new Set(['tok-1234', '//registry/:_authToken=abcd']))
    // Before the first command (its line reaches the debug log), not only before the build.
    for (const order of reporter.secret.mock.invocationCallOrder) expect(order).toBeLessThan(engine.calls[0].order)
    expect(seen).toMatchObject({ file: '//registry/:_authToken=abcd', mode: 0o600 })
    expect(seen!.args.join(' ')).not.toContain('abcd')
    expect(reporter.texts('warning')).toContainEqual(expect.stringMatching(/^build-arg API_TOKEN looks like a credential/))
    const runDir = fs.readdirSync(ws.temp).find((d) => d.startsWith('smokestack-'))!
    expect(fs.readdirSync(path.join(ws.temp, runDir)).filter((f) => f.startsWith('secret-'))).toEqual([])
  })
})
