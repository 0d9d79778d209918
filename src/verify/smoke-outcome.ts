/**
 * What a start check's raw outcome means: started, crashed, did not start, healthy, not healthy,
 * probed. Every failure carries the container's output tail (safe and bounded) and a one-line
 * `detail` for an annotation; a crash that looks like a network failure without a network gets the
 * hint that says how to give it one. Pure.
 */
import type { Finding, SmokeResult } from '../types.js'
import { detailLine, tail } from './output.js'
import { networkHint } from './network-hint.js'

/** The runtime's own words from a failed start, e.g. `exec /code/app: no such file or directory`. */
export function runtimeMessage(text: string): string | undefined {
  const patterns = [
    /exec: "([^"]+)": stat [^:]+: ([a-z][a-z ]+[a-z])(?::|$)/m,
    /exec: "([^"]+)": (executable file not found in \$PATH)/,
    /exec (\S+): ([a-z][a-z ]+?)(?::\s*unknown)?$/m,
    /exec: "([^"]+)": ([a-z][a-z ]+)/
  ]
  for (const re of patterns) {
    const m = re.exec(text)
    if (m) return `exec ${m[1]}: ${m[2].trim()}`
  }
  return undefined
}

/** The runtime's line when it is all a container printed (an execve that failed in the container). */
export function runtimeExecLine(output: string): string | undefined {
  const lines = output.split(/\r?\n/).filter((l) => l.trim())
  if (lines.length !== 1 || !/^exec \S+: [a-z][a-z $]+$/.test(lines[0].trim())) return undefined
  return runtimeMessage(lines[0].trim())
}

export interface RawOutcome {
  /** The error of `docker start`, when the runtime refused to start the process. */
  startError?: string
  exitCode: number | null
  /** True when the container was still running at the timeout. */
  stillRunning: boolean
  /** True when, at the timeout, it did not stop on SIGTERM and had to be killed. */
  killed?: boolean
  output: string
  durationMs: number
  /** The container was to keep running until it was ready (a HEALTHCHECK or probes): any exit is a crash. */
  mustRun?: 'healthy' | 'probed'
}

/** A failed result, with the output's tail, the one-line detail and, for a network failure without a network, the hint. */
export function failed(base: Omit<SmokeResult, 'passed' | 'detail'>, output: string, context: { network?: string; platform?: string } = {}): SmokeResult {
  const outputTail = base.outputTail ?? tail(output)
  const hint = context.network !== undefined ? networkHint(output, context.network, context.platform ?? '') : undefined
  const { findings: given, ...rest } = base
  const findings: Finding[] = [...(given ?? []), ...(hint ? [hint] : [])]
  return { ...rest, passed: false, outputTail, detail: detailLine(base.message, outputTail), ...(findings.length ? { findings } : {}) }
}

const MEANING: Record<number, string> = { 137: ' (killed: SIGKILL, often the memory limit)', 139: ' (segmentation fault)', 134: ' (aborted)' }

/** Decides what a start check's raw outcome means. Pure. */
export function classifySmoke(raw: RawOutcome, acceptedExitCodes: number[], context: { network?: string; platform?: string } = {}): SmokeResult {
  const base = { durationMs: raw.durationMs, exitCode: raw.exitCode }
  if (raw.startError !== undefined) {
    const msg = runtimeMessage(raw.startError) ?? raw.startError.split('\n').filter(Boolean).at(-1) ?? 'the container did not start'
    return failed({ ...base, outcome: 'start-failed', message: msg }, raw.output)
  }
  if (raw.stillRunning) {
    const stopped = raw.killed ? 'it ignored SIGTERM, so it was killed and removed' : 'stopped and removed'
    return {
      ...base,
      exitCode: null,
      outcome: 'running',
      passed: true,
      message: `still running after ${(raw.durationMs / 1000).toFixed(1)} s: it started; ${stopped}`
    }
  }
  const code = raw.exitCode ?? -1
  // runc reports a failed execve from inside the container, after the task was created: the
  // container's only output is then its own `exec …: …` line.
  const execError = code !== 0 ? runtimeExecLine(raw.output) : undefined
  if (execError) return failed({ ...base, outcome: 'start-failed', message: execError }, raw.output)
  const accepted = code === 0 || acceptedExitCodes.includes(code)
  if (accepted && !raw.mustRun) return { ...base, outcome: 'exited', passed: true, message: `exited with code ${code}` }
  const before = raw.mustRun ? ` before it was ${raw.mustRun}` : ''
  const expected = accepted && raw.mustRun ? ` (a server is expected to keep running; use smoke-health: false to accept an exit)` : ''
  return failed({ ...base, outcome: 'crashed', message: `exited with code ${code}${MEANING[code] ?? ''}${before}${expected}` }, raw.output, context)
}

/** Not started at all: the image has no command (neither ENTRYPOINT nor CMD, and no smoke-args). */
export function notStarted(reason: string, findings?: Finding[]): SmokeResult {
  return {
    outcome: 'not-started',
    passed: false,
    exitCode: null,
    durationMs: 0,
    message: `not started: ${reason}`,
    detail: `not started: ${reason}`,
    ...(findings ? { findings } : {})
  }
}
