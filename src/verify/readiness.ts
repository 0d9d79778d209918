/**
 * Waiting for a started server to be ready: the container's state is polled a few times a second;
 * the HEALTHCHECK decides as soon as the engine reports `healthy` (or as soon as its command proves
 * missing), the probes pass one by one, and an exit before that is a crash. Ends at `smoke-timeout`.
 */
import type { Finding, ProbeOutcome, SmokeResult } from '../types.js'
import type { Inspector, ContainerState } from './container-state.js'
import {
  engineTime,
  healthCannotPass,
  healthFinding,
  healthProbes,
  healthcheckText,
  mergeProbes,
  type HealthPlan,
  type HealthProbe,
  type Healthcheck
} from './health.js'
import { openProber, type ProbeChoice, type Prober } from './probe.js'
import type { Probe } from '../inputs/probes.js'
import { detailLine } from './output.js'
import { failed } from './smoke-outcome.js'

/** How often the state is read while waiting. */
export const POLL_MS = 150
/** Longest wait for one round of probes. */
const PROBE_ATTEMPT_MS = 1_000

export interface ReadinessRequest {
  containerName: string
  platform: string
  network: string
  timeoutMs: number
  health: HealthPlan
  healthcheck?: Healthcheck
  probes: readonly Probe[]
  probeChoice?: ProbeChoice
  probeImage: string
  log?: (line: string) => void
}

/** What the wait saw: ready, exited, or still not ready at the end. */
export type Readiness =
  | { kind: 'ready'; durationMs: number; result: Pick<SmokeResult, 'health' | 'probes'> }
  | { kind: 'exited'; state: ContainerState; durationMs: number; result: Pick<SmokeResult, 'health' | 'probes'> }
  | { kind: 'not-ready'; durationMs: number; result: Pick<SmokeResult, 'health' | 'probes'>; findings: Finding[]; message: string }

/** The state of a container that is no longer there. */
const GONE: ContainerState = { id: '', running: false, status: 'removed', exitCode: -1, pid: 0, oomKilled: false }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** Waits until ready, exited or the end of `timeoutMs` after `started`. The prober it opens is closed. */
export async function waitReady(r: ReadinessRequest, inspector: Inspector, started: number): Promise<Readiness> {
  const deadline = started + r.timeoutMs
  const probes: ProbeOutcome[] = r.probes.map((p) => ({ probe: p.text, passed: false, attempts: 0, via: r.probeChoice?.way ?? 'nsenter' }))
  let log: HealthProbe[] = []
  let probeCount = 0
  let healthyAt: number | undefined
  let seenAfterMs: number | undefined
  let prober: Prober | undefined
  let proberError: string | undefined
  let exited: ContainerState | undefined
  let impossible = false
  let readyAt: number | undefined
  try {
    for (;;) {
      const state = await inspector.state(r.containerName)
      if (state?.health) {
        const merged = mergeProbes(log, healthProbes(state.health.raw))
        probeCount += merged.filter((p) => !log.some((q) => q.start === p.start)).length
        log = merged
      }
      if (!state || !state.running) {
        exited = state ?? GONE
        break
      }
      if (r.health.use && healthyAt === undefined) {
        if (state.health?.status === 'healthy') {
          healthyAt = Date.now()
          const passedAt = engineTime(log.find((p) => p.exitCode === 0)?.end ?? '')
          if (passedAt !== undefined) seenAfterMs = Math.max(0, healthyAt - passedAt)
        } else if (healthCannotPass(log, r.healthcheck)) {
          impossible = true
          break
        }
      }
      const pending = r.probes.filter((_, i) => !probes[i]!.passed)
      if (pending.length > 0 && !proberError && Date.now() < deadline) {
        if (!prober) {
          const opened = await openProber(r.probeChoice!, { name: r.containerName, id: state.id, pid: state.pid }, r.probeImage, r.timeoutMs)
          prober = opened.prober
          proberError = opened.error
          if (prober) for (const p of probes) p.via = prober.way
          r.log?.(
            prober
              ? `Probing ${r.probes.map((p) => p.text).join(', ')} ${prober.description}: ${opened.note}; the container keeps --network ${r.network}.`
              : `Probes cannot run: ${opened.error}`
          )
        }
        if (prober) {
          const answers = await prober.attempt(pending, Math.min(PROBE_ATTEMPT_MS, Math.max(200, deadline - Date.now())))
          pending.forEach((p, k) => {
            const o = probes[r.probes.indexOf(p)]!
            o.attempts++
            o.last = answers[k]!.detail
            if (answers[k]!.ok) {
              o.passed = true
              o.durationMs = Date.now() - started
            }
          })
        }
      }
      if ((!r.health.use || healthyAt !== undefined) && probes.every((p) => p.passed)) {
        readyAt = Date.now()
        break
      }
      if (proberError) {
        // The probe container cannot join a container that has just exited: then that exit is the verdict.
        const now = await inspector.state(r.containerName)
        if (!now?.running) exited = now ?? GONE
        break
      }
      if (Date.now() >= deadline) break
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())))
    }
  } finally {
    await prober?.close()
  }
  const durationMs = Date.now() - started
  const health =
    r.health.use && r.healthcheck
      ? {
          status: healthyAt !== undefined ? ('healthy' as const) : exited ? ('exited' as const) : impossible ? ('unhealthy' as const) : ('starting' as const),
          command: healthcheckText(r.healthcheck),
          durationMs: healthyAt !== undefined ? healthyAt - started : durationMs,
          ...(seenAfterMs !== undefined ? { seenAfterMs } : {}),
          log: log.map((p) => ({ exitCode: p.exitCode, output: p.output }))
        }
      : undefined
  const result = { ...(health ? { health } : {}), ...(probes.length ? { probes } : {}) }
  if (exited) return { kind: 'exited', state: exited, durationMs, result }
  if (readyAt !== undefined) return { kind: 'ready', durationMs: readyAt - started, result }
  const healthy = !r.health.use || healthyAt !== undefined
  const findings: Finding[] = []
  if (!healthy && r.healthcheck) {
    health!.status = 'unhealthy'
    findings.push(healthFinding(r.healthcheck, log, r.timeoutMs, r.platform))
  }
  const failing = probes.filter((p) => !p.passed)
  for (const p of failing) {
    findings.push({
      severity: 'error',
      code: 'probe-failed',
      message: proberError
        ? `The probe ${p.probe} could not run: ${proberError}.`
        : `The probe ${p.probe} did not pass within ${s(r.timeoutMs)}: ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}, the last ${p.last ?? 'without an answer'}.`,
      fix: proberError
        ? 'Check the `probe-image` input (an image with busybox `sh`, `nc`, `timeout` and `sleep`).'
        : 'Check the port and path the server answers on inside the container, and that it starts without a network (the check has none: `smoke-network`).',
      platform: r.platform
    })
  }
  const message = !healthy
    ? impossible
      ? `unhealthy: the HEALTHCHECK command cannot run in the image`
      : `not healthy within ${s(r.timeoutMs)}: ${log.length ? `the last of ${probeCount} probe${probeCount === 1 ? '' : 's'} exited with ${log.at(-1)!.exitCode}` : 'no probe finished'}`
    : `probe ${failing.map((p) => `${p.probe} (${p.last ?? 'no answer'})`).join(', ')} did not pass within ${s(r.timeoutMs)}`
  return { kind: 'not-ready', durationMs, result, findings, message }
}

/** The result of a ready server. */
export function readyResult(w: Extract<Readiness, { kind: 'ready' }>, stopped: string): SmokeResult {
  const what = w.result.health ? `healthy in ${s(w.durationMs)}` : `probe ok in ${s(w.durationMs)}`
  const probes = w.result.probes?.length ? `; ${w.result.probes.map((p) => `${p.probe}: ${p.last}`).join(', ')}` : ''
  return {
    outcome: w.result.health ? 'healthy' : 'probe-ok',
    passed: true,
    exitCode: null,
    durationMs: w.durationMs,
    message: `${what}${probes}; ${stopped}`,
    ...w.result
  }
}

/** The result of a server that was not ready at the end of the check. */
export function notReadyResult(w: Extract<Readiness, { kind: 'not-ready' }>, output: string, context: { network: string; platform: string }): SmokeResult {
  const outcome = w.result.health?.status === 'unhealthy' ? 'unhealthy' : 'probe-failed'
  const result = failed({ outcome, exitCode: null, durationMs: w.durationMs, message: w.message, findings: w.findings, ...w.result }, output, context)
  // The annotation's line: what the probes said, which is what explains it.
  const said = outcome === 'unhealthy' ? w.result.health?.log.filter((p) => p.exitCode !== 0).at(-1)?.output : undefined
  return said ? { ...result, detail: detailLine(w.message, said) } : result
}
