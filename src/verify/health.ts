/**
 * The image's HEALTHCHECK as the start check uses it: read from the image config, run on the
 * check's own timing (the engine's `--health-*` options, bounded by `smoke-timeout`, not the
 * production interval), its probes collected from `State.Health`, and a failure explained from
 * what the probes said. Pure.
 */
import type { Finding } from '../types.js'
import { codeSpan, lastLine, safeText } from './output.js'

export type HealthMode = 'auto' | 'true' | 'false'

export interface Healthcheck {
  /** `["CMD", prog, args…]` or `["CMD-SHELL", script]`. */
  test: string[]
  intervalMs?: number
  timeoutMs?: number
  startPeriodMs?: number
  retries?: number
}

/** One probe of the engine's health log, its output made safe and short. */
export interface HealthProbe {
  start: string
  end: string
  exitCode: number
  output: string
}

/** How often the check probes: fast, so that a healthy server is seen within a fraction of a second. */
export const HEALTH_INTERVAL_MS = 250
/** Probes kept in the report (the engine itself keeps the last five). */
const KEPT_PROBES = 10
const PROBE_OUTPUT_CHARS = 500

const nsToMs = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? Math.round(v / 1e6) : undefined)

/** The HEALTHCHECK of an image config (`Config.Healthcheck`), or undefined when it has none (or `NONE`). */
export function healthcheckOf(config: unknown): Healthcheck | undefined {
  const hc = (config && typeof config === 'object' ? (config as Record<string, unknown>).Healthcheck : undefined) as Record<string, unknown> | undefined
  const test = Array.isArray(hc?.Test) ? hc.Test.filter((x): x is string => typeof x === 'string') : []
  if (test.length === 0 || test[0] === 'NONE' || (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') || test.length < 2) return undefined
  return {
    test,
    intervalMs: nsToMs(hc!.Interval),
    timeoutMs: nsToMs(hc!.Timeout),
    startPeriodMs: nsToMs(hc!.StartPeriod),
    retries: typeof hc!.Retries === 'number' ? hc!.Retries : undefined
  }
}

/** The HEALTHCHECK as the Dockerfile would say it, quoted safely and short. */
export function healthcheckText(hc: Healthcheck): string {
  const text = hc.test[0] === 'CMD-SHELL' ? `CMD ${hc.test[1]}` : `CMD ${JSON.stringify(hc.test.slice(1))}`
  const safe = safeText(text).replace(/\s+/g, ' ').replace(/`/g, "'")
  return safe.length > 200 ? `${safe.slice(0, 199)}…` : safe
}

export interface HealthPlan {
  /** True when the HEALTHCHECK decides the start check. */
  use: boolean
  /** `docker create` options. */
  createArgs: string[]
  /** What the log says about it. */
  note?: string
  /** `smoke-health: true` and the image has no HEALTHCHECK. */
  missing?: boolean
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(2))} s`

/**
 * How the start check uses the HEALTHCHECK. The probes run every {@link HEALTH_INTERVAL_MS}; the
 * start period covers the whole check, so that failures while the server starts do not count (the
 * check decides, at `smoke-timeout`); one probe may take as long as the image allows, within the
 * check. (`--health-start-interval` would add nothing at this interval, and older clients lack it.)
 */
export function planHealth(hc: Healthcheck | undefined, mode: HealthMode, timeoutMs: number): HealthPlan {
  if (!hc) {
    if (mode === 'true') return { use: false, createArgs: [], missing: true }
    return { use: false, createArgs: [] }
  }
  if (mode === 'false') return { use: false, createArgs: ['--no-healthcheck'], note: `HEALTHCHECK ${healthcheckText(hc)} not used (smoke-health: false).` }
  const probeTimeout = Math.min(hc.timeoutMs ?? 30_000, timeoutMs)
  const own = [`every ${seconds(hc.intervalMs ?? 30_000)}`, hc.startPeriodMs ? `after a ${seconds(hc.startPeriodMs)} start period` : '']
    .filter(Boolean)
    .join(' ')
  return {
    use: true,
    createArgs: [
      '--health-interval',
      `${HEALTH_INTERVAL_MS}ms`,
      '--health-start-period',
      `${timeoutMs}ms`,
      '--health-timeout',
      `${probeTimeout}ms`,
      '--health-retries',
      String(hc.retries ?? 3)
    ],
    note: `HEALTHCHECK ${healthcheckText(hc)} decides: probed every ${seconds(HEALTH_INTERVAL_MS)} for up to ${seconds(timeoutMs)} (smoke-timeout), each probe up to ${seconds(probeTimeout)}; the image's own timing (${own}) is for production, not for this check.`
  }
}

/** The engine's `State.Health.Log` entries, made safe. */
export function healthProbes(health: unknown): HealthProbe[] {
  const log = (health && typeof health === 'object' ? (health as Record<string, unknown>).Log : undefined) as unknown
  if (!Array.isArray(log)) return []
  return log.slice(-10).map((e: Record<string, unknown>) => {
    const out = typeof e.Output === 'string' ? safeText(e.Output.slice(-PROBE_OUTPUT_CHARS * 2)).trim() : ''
    return {
      start: typeof e.Start === 'string' ? e.Start : '',
      end: typeof e.End === 'string' ? e.End : '',
      exitCode: typeof e.ExitCode === 'number' ? e.ExitCode : -1,
      output: out.length > PROBE_OUTPUT_CHARS ? `…${out.slice(-(PROBE_OUTPUT_CHARS - 1))}` : out
    }
  })
}

/** `known` with the probes of `fresh` it does not have yet, in order, the last {@link KEPT_PROBES}. */
export function mergeProbes(known: readonly HealthProbe[], fresh: readonly HealthProbe[]): HealthProbe[] {
  const seen = new Set(known.map((p) => p.start))
  return [...known, ...fresh.filter((p) => !seen.has(p.start))].slice(-KEPT_PROBES)
}

/** An RFC 3339 time of the engine (nanoseconds) in epoch milliseconds. */
export function engineTime(t: string): number | undefined {
  const ms = Date.parse(t.replace(/(\.\d{3})\d+/, '$1'))
  return Number.isNaN(ms) ? undefined : ms
}

/** Why a probe failed, as far as its exit code and output tell. */
export type ProbeCause =
  | { kind: 'command-missing'; program?: string }
  | { kind: 'refused'; port?: number }
  | { kind: 'http'; status: number }
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number }

function portOf(hc: Healthcheck | undefined, output: string): number | undefined {
  const said = /port (\d{1,5})\b/i.exec(output) ?? /(?:127\.0\.0\.1|localhost|\[::1\]|::1|0\.0\.0\.0):(\d{1,5})\b/.exec(output)
  if (said) return Number(said[1])
  const cmd = hc?.test.slice(1).join(' ') ?? ''
  const url = /https?:\/\/[^\s/:'"]+(?::(\d{1,5}))?/i.exec(cmd)
  if (url) return url[1] ? Number(url[1]) : /^https/i.test(url[0]) ? 443 : 80
  return undefined
}

/** What made a probe fail. A command the image lacks never starts: that cause is final. */
export function probeCause(p: HealthProbe, hc?: Healthcheck): ProbeCause {
  const out = p.output
  const missing =
    /exec: "([^"]+)": (?:executable file not found in \$PATH|stat [^:]+: no such file or directory)/.exec(out) ??
    (p.exitCode === 127 ? /(?:^|\s)(?:\S+: )?(?:line \d+: )?([^\s:]+): (?:command )?not found/m.exec(out) : null)
  if (missing || p.exitCode === 127) return { kind: 'command-missing', program: missing?.[1] ?? (hc?.test[0] === 'CMD' ? hc.test[1] : undefined) }
  if (/health check exceeded timeout/i.test(out)) return { kind: 'timeout' }
  if (/connection refused|ECONNREFUSED|couldn't connect to server|failed to connect/i.test(out)) return { kind: 'refused', port: portOf(hc, out) }
  const http =
    /returned error: (\d{3})|HTTP\/\d(?:\.\d)? (\d{3})|status(?: code)?:? (\d{3})\b|\b(\d{3}) (?:Internal Server Error|Service Unavailable|Not Found|Bad Gateway|Forbidden|Unauthorized)/i.exec(
      out
    )
  if (http) return { kind: 'http', status: Number(http[1] ?? http[2] ?? http[3] ?? http[4]) }
  return { kind: 'exit', code: p.exitCode }
}

/** True when the probes can never pass: the HEALTHCHECK's command is not in the image. */
export function healthCannotPass(log: readonly HealthProbe[], hc?: Healthcheck): boolean {
  const last = log.at(-1)
  return last !== undefined && last.exitCode !== 0 && probeCause(last, hc).kind === 'command-missing'
}

/** The log for a report: `exit 1: wget: can't connect …`, newest last. */
export function healthLogText(log: ReadonlyArray<Pick<HealthProbe, 'exitCode' | 'output'>>, count = 5): string {
  return log
    .slice(-count)
    .map((p) => `exit ${p.exitCode}: ${lastLine(p.output) ?? '(no output)'}`)
    .join('\n')
}

/** The finding that explains why the HEALTHCHECK did not pass within the check. */
export function healthFinding(hc: Healthcheck, log: readonly HealthProbe[], timeoutMs: number, platform: string): Finding {
  const failed = [...log].reverse().find((p) => p.exitCode !== 0)
  const said = failed ? lastLine(failed.output) : undefined
  // The log itself is in the result (health.log), shown in a code block: container output is not put in Markdown here.
  const cmd = `\`HEALTHCHECK ${healthcheckText(hc)}\``
  if (!failed) {
    return {
      severity: 'error',
      code: 'unhealthy',
      message: `${cmd} did not report healthy within ${seconds(timeoutMs)}: no probe finished in that time.`,
      fix: 'Raise `smoke-timeout` if the server needs longer to start, or make the probe answer faster.',
      platform
    }
  }
  const cause = probeCause(failed, hc)
  const quoted = said ? ` (${codeSpan(said)})` : ''
  switch (cause.kind) {
    case 'command-missing':
      return {
        severity: 'error',
        code: 'healthcheck-command-missing',
        message: `${cmd} runs ${cause.program ? `\`${cause.program}\`` : 'a command'}, which is not in the image${quoted}: the probe can never pass, so the container is never healthy.`,
        fix: `Install it in the final stage${cause.program === 'curl' ? ' (`apk add --no-cache curl`; or use busybox `wget -q --spider`, or the program itself as its own health client)' : ''}, or change the HEALTHCHECK to a command the image has.`,
        platform
      }
    case 'refused':
      return {
        severity: 'error',
        code: 'unhealthy',
        message: `${cmd} found nothing listening${cause.port ? ` on port ${cause.port}` : ''} within ${seconds(timeoutMs)}${quoted}.`,
        fix: 'Check that the server listens on the port the HEALTHCHECK asks (and on all addresses inside the container, not only a single interface), and that it starts without a network: the start check has none (`smoke-network`).',
        platform
      }
    case 'http':
      return {
        severity: 'error',
        code: 'unhealthy',
        message: `${cmd} got HTTP ${cause.status} from the server${quoted}: it is up, but its health endpoint fails.`,
        fix: 'Look at what the health endpoint checks (a missing dependency, configuration or file); the health log shows its answer.',
        platform
      }
    case 'timeout':
      return {
        severity: 'error',
        code: 'unhealthy',
        message: `${cmd} did not finish in time${quoted}.`,
        fix: 'Make the health endpoint answer quickly, or raise `smoke-timeout`.',
        platform
      }
    default:
      return {
        severity: 'error',
        code: 'unhealthy',
        message: `${cmd} failed with exit code ${cause.code} until the end of the check (${seconds(timeoutMs)})${quoted}.`,
        fix: 'Run the HEALTHCHECK command in the container to see why it fails, or raise `smoke-timeout` if the server needs longer to start.',
        platform
      }
  }
}
