/** Shapes shared by the stages: findings and how the start check ended. */
import type { FindingCode } from './findings.js'

export type Severity = 'error' | 'warning' | 'notice'

/** Something worth telling the user, with where it comes from and what to change. */
export interface Finding {
  severity: Severity
  /** Stable machine-readable identifier from the table in findings.ts, e.g. `missing-loader`, `cgo-on-musl`. */
  code: FindingCode
  /** One sentence: what is wrong. */
  message: string
  /** What to change. */
  fix?: string
  /** The facts behind it (paths, ELF fields, runtime output). */
  evidence?: string
  /** Platform it concerns, when it concerns one. */
  platform?: string
  /** File it concerns: a path inside the image, or the Dockerfile (with `line`). */
  file?: string
  line?: number
  endLine?: number
}

/** How the start check ended. */
export type SmokeOutcome =
  | 'exited' // ran to completion with an accepted exit code
  | 'running' // still running at the timeout: it started (a server); stopped and removed
  | 'crashed' // exited with an exit code that is not accepted
  | 'start-failed' // the runtime could not start the process at all (exec errors)
  | 'skipped'

export interface SmokeResult {
  outcome: SmokeOutcome
  passed: boolean
  exitCode: number | null
  durationMs: number
  /** The runtime's own message, or a short description of the outcome. */
  message: string
  /** Last lines of the container's output (stdout and stderr), for crashes. */
  outputTail?: string
}
