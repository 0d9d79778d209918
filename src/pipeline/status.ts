/**
 * A platform's verdict, derived from its outcomes in one place: passed or failed, and the one reason a person
 * reads first. Every rendering (summary, annotations, terminal, JSON) takes its verdict from here. Pure.
 */
import type { Finding, SmokeResult } from '../types.js'
import { explainStart, explanationText, type StartExplanation } from '../verify/explain.js'
import type { PlatformOutcome } from './outcomes.js'

export type FailureReason =
  /** The image did not build. */
  | { kind: 'build'; message: string; logTail?: string }
  /** It built, and the runtime could not start its process. */
  | { kind: 'start-failed'; message: string; explanation: StartExplanation; outputTail?: string }
  /** It started and exited with a code that is not accepted, or did not become healthy. */
  | { kind: 'crashed'; message: string; outputTail?: string }
  /** The image doctor found an error (the start alone would not have shown it, e.g. under emulation). */
  | { kind: 'finding'; finding: Finding }
  /** The user's test command failed. */
  | { kind: 'test'; message: string; outputTail?: string }
  /** The image could not be examined or started: the engine failed, not the image. */
  | { kind: 'check-error'; message: string }
  /** The image could not be measured while a size gate needed the figure. */
  | { kind: 'unmeasured'; message: string }
  /** Over `max-size`, or grown more than `max-growth`. */
  | { kind: 'budget'; finding: Finding }
  /** The merge: the platform's own job failed, or its record cannot be used (missing, duplicated, not in the registry). */
  | { kind: 'record'; message: string }

export interface Verdict {
  status: 'passed' | 'failed'
  reason?: FailureReason
  /** Every finding about the platform's image, doctor first, then size gates. */
  findings: readonly Finding[]
}

export interface VerdictOptions {
  /** A size gate (`max-size` or `max-growth`) is set, so an unmeasured image cannot pass. */
  sizeGated: boolean
}

function startReason(start: SmokeResult, findings: readonly Finding[]): FailureReason {
  if (start.outcome === 'start-failed')
    return { kind: 'start-failed', message: start.message, explanation: explainStart(start.message, findings), outputTail: start.outputTail }
  return { kind: 'crashed', message: start.message, outputTail: start.outputTail }
}

/** Why the platform failed, first cause first: build, start, the doctor's errors, then the size gates. */
export function platformVerdict(o: PlatformOutcome, options: VerdictOptions): Verdict {
  const doctor = o.check?.findings ?? []
  const gates = [o.size?.overBudget, o.growth].filter((f): f is Finding => f !== undefined)
  const findings = [...doctor, ...gates]
  const failed = (reason: FailureReason): Verdict => ({ status: 'failed', reason, findings })
  if (!o.build.ok) return failed({ kind: 'build', message: o.build.error ?? 'the build failed', logTail: o.build.logTail })
  if (o.check === undefined || o.check.error !== undefined)
    return failed({ kind: 'check-error', message: `the image could not be checked: ${o.check?.error ?? 'the check did not run'}` })
  const start = o.check.start
  if (start && !start.passed) return failed(startReason(start, doctor))
  const error = doctor.find((f) => f.severity === 'error')
  if (error) return failed({ kind: 'finding', finding: error })
  if (o.test && o.test.exitCode !== 0) {
    const how = o.test.timedOut ? 'timed out' : `exited with code ${o.test.exitCode}`
    return failed({ kind: 'test', message: `the test command ${how}`, outputTail: o.test.outputTail })
  }
  if (gates[0]) return failed({ kind: 'budget', finding: gates[0] })
  if (options.sizeGated && (o.size === undefined || o.size.error !== undefined)) {
    return failed({ kind: 'unmeasured', message: `the size gate could not be applied: ${o.size?.error ?? 'the image was not measured'}` })
  }
  return { status: 'passed', findings }
}

/** The reason in one line, as the step log and the annotation title say it. */
export function reasonLine(reason: FailureReason): string {
  switch (reason.kind) {
    case 'build':
      return `build failed: ${reason.message}`
    case 'start-failed':
      return `${reason.message}: ${explanationText(reason.explanation)}`
    case 'crashed':
      return reason.message
    case 'finding':
    case 'budget':
      return reason.finding.message
    case 'test':
    case 'check-error':
    case 'unmeasured':
    case 'record':
      return reason.message
  }
}
