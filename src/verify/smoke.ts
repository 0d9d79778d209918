/** The start check: run the image sandboxed, with a timeout, and classify how it ended. */
import type { SmokeResult } from '../types.js'
import { docker } from '../docker/exec.js'

export interface SmokeRequest {
  image: string
  platform: string
  containerName: string
  /** Appended to the ENTRYPOINT, replacing CMD; undefined keeps the image's CMD. */
  args?: string[]
  timeoutMs: number
  acceptedExitCodes: number[]
  network: string
  runArgs: string[]
}

/** Seconds a container still running at the timeout gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_SECONDS = 2

/** Limits every start check runs under, unless the user adds more with smoke-run-args. */
export const SANDBOX = { pidsLimit: 256, memory: '512m' }

/** `docker create` arguments: the least the image needs to start. Pure. */
export function smokeCreateArgs(r: SmokeRequest): string[] {
  return [
    'create',
    '--name',
    r.containerName,
    '--platform',
    r.platform,
    '--network',
    r.network,
    '--security-opt',
    'no-new-privileges',
    '--pids-limit',
    String(SANDBOX.pidsLimit),
    '--memory',
    SANDBOX.memory,
    '--label',
    'org.smokestack.role=start-check',
    ...r.runArgs,
    r.image,
    ...(r.args ?? [])
  ]
}

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
}

/** Decides what a start check's raw outcome means. Pure. */
export function classifySmoke(raw: RawOutcome, acceptedExitCodes: number[]): SmokeResult {
  const base = { durationMs: raw.durationMs, exitCode: raw.exitCode }
  if (raw.startError !== undefined) {
    const msg = runtimeMessage(raw.startError) ?? raw.startError.split('\n').filter(Boolean).at(-1) ?? 'the container did not start'
    return { ...base, outcome: 'start-failed', passed: false, message: msg, outputTail: tail(raw.output) }
  }
  if (raw.stillRunning) {
    const stopped = raw.killed ? 'it ignored SIGTERM, so it was killed and removed' : 'stopped and removed'
    return { ...base, exitCode: null, outcome: 'running', passed: true, message: `still running after ${(raw.durationMs / 1000).toFixed(1)} s: it started; ${stopped}` }
  }
  const code = raw.exitCode ?? -1
  // runc reports a failed execve from inside the container, after the task was created: the
  // container's only output is then its own `exec …: …` line.
  const execError = code !== 0 ? runtimeExecLine(raw.output) : undefined
  if (execError) return { ...base, outcome: 'start-failed', passed: false, message: execError, outputTail: tail(raw.output) }
  if (code === 0 || acceptedExitCodes.includes(code)) {
    return { ...base, outcome: 'exited', passed: true, message: `exited with code ${code}` }
  }
  const meaning = code === 137 ? ' (killed: SIGKILL, often the memory limit)' : code === 139 ? ' (segmentation fault)' : code === 134 ? ' (aborted)' : ''
  return { ...base, outcome: 'crashed', passed: false, message: `exited with code ${code}${meaning}`, outputTail: tail(raw.output) }
}

export function tail(text: string, lines = 20): string | undefined {
  const all = text.split(/\r?\n/)
  while (all.length && !all[all.length - 1].trim()) all.pop()
  if (all.length === 0) return undefined
  return all.slice(-lines).join('\n').slice(-4000)
}

/** Runs the start check. The container is always removed, whatever happens. */
export async function runSmoke(r: SmokeRequest): Promise<SmokeResult> {
  await docker(smokeCreateArgs(r))
  const started = Date.now()
  try {
    const start = await docker(['start', r.containerName], { allowFailure: true, timeoutMs: r.timeoutMs + 30_000 })
    if (start.exitCode !== 0) {
      const logs = await docker(['logs', r.containerName], { allowFailure: true })
      return classifySmoke(
        { startError: `${start.stderr}\n${start.stdout}`, exitCode: null, stillRunning: false, output: logs.stdout + logs.stderr, durationMs: Date.now() - started },
        r.acceptedExitCodes
      )
    }
    const remaining = Math.max(1, r.timeoutMs - (Date.now() - started))
    const wait = await docker(['wait', r.containerName], { allowFailure: true, timeoutMs: remaining })
    const durationMs = Date.now() - started
    const stillRunning = wait.timedOut
    let killed = false
    if (stillRunning) {
      await docker(['stop', '--time', String(STOP_GRACE_SECONDS), r.containerName], { allowFailure: true, timeoutMs: 30_000 })
      const state = await docker(['inspect', '--format', '{{.State.ExitCode}}', r.containerName], { allowFailure: true })
      killed = state.stdout.trim() === '137'
    }
    const logs = await docker(['logs', '--tail', '200', r.containerName], { allowFailure: true })
    const exitCode = stillRunning ? null : Number.parseInt(wait.stdout.trim(), 10)
    return classifySmoke({ exitCode: Number.isNaN(exitCode) ? null : exitCode, stillRunning, killed, output: logs.stdout + logs.stderr, durationMs }, r.acceptedExitCodes)
  } finally {
    await docker(['rm', '--force', '--volumes', r.containerName], { allowFailure: true, timeoutMs: 60_000 })
  }
}
