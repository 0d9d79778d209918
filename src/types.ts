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
/** Every way a start check can end, as the results and platform records name them. */
export const SMOKE_OUTCOMES = [
  'exited',
  'running',
  'crashed',
  'start-failed',
  'skipped',
  'not-started',
  'healthy',
  'unhealthy',
  'probe-ok',
  'probe-failed'
] as const

export type SmokeOutcome =
  | 'exited' // ran to completion with an accepted exit code
  | 'running' // still running at the timeout: it started (a server); stopped and removed
  | 'crashed' // exited with an exit code that is not accepted
  | 'start-failed' // the runtime could not start the process at all (exec errors)
  | 'skipped'
  | 'not-started' // nothing to start (no ENTRYPOINT/CMD), or a requirement not met before starting
  | 'healthy' // its HEALTHCHECK passed (and any probes): ready; stopped and removed
  | 'unhealthy' // its HEALTHCHECK did not pass within the timeout, or cannot pass
  | 'probe-ok' // every smoke-probe passed: ready; stopped and removed
  | 'probe-failed' // a smoke-probe did not pass within the timeout

export interface SmokeResult {
  outcome: SmokeOutcome
  passed: boolean
  exitCode: number | null
  durationMs: number
  /** The runtime's own message, or a short description of the outcome. */
  message: string
  /** Last lines of the container's output (stdout and stderr), for failures: bounded, escapes removed, workflow commands defused. */
  outputTail?: string
  /** One line for an annotation: what happened and the program's last words, safe and short. */
  detail?: string
  /** What the start check found (the cause of an unhealthy server, a network hint, advice). */
  findings?: Finding[]
  /** The HEALTHCHECK's outcome, when it decided. */
  health?: HealthOutcome
  /** Each smoke-probe's outcome. */
  probes?: ProbeOutcome[]
}

export interface HealthOutcome {
  status: 'healthy' | 'unhealthy' | 'starting' | 'exited'
  /** The HEALTHCHECK command, as the Dockerfile says it. */
  command: string
  /** From the start to healthy (or to the end of the check). */
  durationMs: number
  /** From the end of the first passing probe to the check seeing it. */
  seenAfterMs?: number
  /** The probes, oldest first: exit code and the end of the output (safe and short). */
  log: { exitCode: number; output: string }[]
}

export interface ProbeOutcome {
  /** As given in smoke-probe, e.g. `http://:8080/healthz`. */
  probe: string
  passed: boolean
  attempts: number
  /** The last answer: `HTTP 200`, `connected`, `connection refused` … */
  last?: string
  /** From the start to the passing attempt. */
  durationMs?: number
  /** How it reached the container: `nsenter` (inside its network namespace) or `container` (a joined probe container). */
  via: 'nsenter' | 'container'
}
