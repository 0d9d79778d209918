/**
 * A Reporter and a ResourceLog that record what the pipeline tells them, for unit tests of `pipeline()`. Each
 * method is a jest mock, so its calls carry jest's invocation order and compare with the fake engine's commands.
 */
import { jest } from '@jest/globals'
import type { PlatformOutcome } from '../src/pipeline/outcomes.js'
import type { Reporter, ResourceLog, RunEnv, Step } from '../src/pipeline/reporter.js'
import type { Finding } from '../src/types.js'

/** One thing the pipeline said, in order. */
export type Event =
  | { kind: 'phase'; title: string }
  | { kind: 'phase-end'; title: string }
  | { kind: 'info' | 'warning' | 'debug' | 'secret'; text: string }
  | { kind: 'advice'; findings: readonly Finding[] }
  | { kind: 'started' | 'finished'; platform: string; step: Step; log?: readonly string[] }
  | { kind: 'done'; platform: string; outcome: PlatformOutcome }

export class RecordingReporter implements Reporter {
  readonly events: Event[] = []
  private readonly doneWaiters = new Map<string, (o: PlatformOutcome) => void>()

  readonly phase = jest.fn(async <T>(title: string, work: () => Promise<T>): Promise<T> => {
    this.events.push({ kind: 'phase', title })
    try {
      return await work()
    } finally {
      this.events.push({ kind: 'phase-end', title })
    }
  }) as jest.Mock<Reporter['phase']> & Reporter['phase']
  readonly info = jest.fn<Reporter['info']>((text) => void this.events.push({ kind: 'info', text }))
  readonly warning = jest.fn<Reporter['warning']>((text) => void this.events.push({ kind: 'warning', text }))
  readonly debug = jest.fn<Reporter['debug']>((text) => void this.events.push({ kind: 'debug', text }))
  readonly secret = jest.fn<Reporter['secret']>((text) => void this.events.push({ kind: 'secret', text }))
  readonly advice = jest.fn<Reporter['advice']>((findings) => void this.events.push({ kind: 'advice', findings }))
  readonly stepStarted = jest.fn<Reporter['stepStarted']>((platform, step) => void this.events.push({ kind: 'started', platform, step }))
  readonly stepFinished = jest.fn<Reporter['stepFinished']>((platform, step, log) => void this.events.push({ kind: 'finished', platform, step, log }))
  readonly platformDone = jest.fn<Reporter['platformDone']>((outcome) => {
    this.events.push({ kind: 'done', platform: outcome.platform, outcome })
    this.doneWaiters.get(outcome.platform)?.(outcome)
  })

  /** Resolves when `platform` is reported done. */
  done(platform: string): Promise<PlatformOutcome> {
    const seen = this.events.find((e) => e.kind === 'done' && e.platform === platform)
    if (seen && seen.kind === 'done') return Promise.resolve(seen.outcome)
    return new Promise((resolve) => this.doneWaiters.set(platform, resolve))
  }

  /** The platforms in the order they were reported done (with repeats, if any). */
  doneOrder(): string[] {
    return this.events.flatMap((e) => (e.kind === 'done' ? [e.platform] : []))
  }

  /** Every line of the log the pipeline gave for `platform`'s `step`, in the order given. */
  stepLog(platform: string, step: Step): string[] {
    return this.events.flatMap((e) => (e.kind === 'finished' && e.platform === platform && e.step === step ? [...(e.log ?? [])] : []))
  }

  /** The texts of one kind of message. */
  texts(kind: 'info' | 'warning' | 'debug' | 'secret'): string[] {
    return this.events.flatMap((e) => (e.kind === kind ? [e.text] : []))
  }
}

/** A ResourceLog that records what the run said it would create, and what it said it removed. */
export function recordingResources(): ResourceLog & { add: jest.Mock<ResourceLog['add']>; forget: jest.Mock<ResourceLog['forget']> } {
  return { add: jest.fn<ResourceLog['add']>(), forget: jest.fn<ResourceLog['forget']>() }
}

/** A RunEnv outside Actions, in `tempRoot`, with a fixed run id. */
export function testEnv(workspace: string, tempRoot: string, resources: ResourceLog, overrides: Partial<RunEnv> = {}): RunEnv {
  return { workspace, tempRoot, runId: 'run1', inActions: false, vars: {}, resources, ...overrides }
}
