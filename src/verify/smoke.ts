/**
 * The start check: run the image sandboxed, with a timeout, and tell how it ended. A server with a
 * HEALTHCHECK (or given `smoke-probe`) passes as soon as it is ready; one without passes when it is
 * still running at the timeout; an image with nothing to start is not started. The container (and
 * any probe container) is removed on every path, and nothing here throws for the image's sake.
 */
import type { Finding, SmokeResult } from '../types.js'
import { docker, lastErrorLine } from '../docker/exec.js'
import { Inspector } from './container-state.js'
import { healthcheckOf, planHealth, type HealthMode } from './health.js'
import { chooseProbeWay, ensureProbeImage, probeContainerName, probeViaFromEnv, readPrivilege, type ProbeVia } from './probe.js'
import type { Probe } from '../inputs/probes.js'
import { notReadyResult, readyResult, waitReady } from './readiness.js'
import { classifySmoke, failed, notStarted } from './smoke-outcome.js'

export { classifySmoke, runtimeExecLine, runtimeMessage, type RawOutcome } from './smoke-outcome.js'
export { tail } from './output.js'

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
  /** smoke-health: the image's HEALTHCHECK decides when it has one (`auto`), must exist (`true`), or is ignored (`false`). */
  health?: HealthMode
  /** smoke-probe: each must pass. */
  probes?: Probe[]
  /** Image of the probe container, when probes cannot enter the namespace from the runner. */
  probeImage?: string
  /** How probes reach the container; default from SMOKESTACK_PROBE_VIA, else `auto`. */
  probeVia?: ProbeVia
  /** Where the check's own notes go (the health timing used, how probes reach the container). */
  log?: (line: string) => void
}

/** Seconds a container still running at the timeout gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_SECONDS = 2

/** Limits every start check runs under, unless the user adds more with smoke-run-args. */
export const SANDBOX = { pidsLimit: 256, memory: '512m' }

export const DEFAULT_PROBE_IMAGE = 'busybox:stable'

/** The containers a start check may create: the check's own, and its probe container. */
export function smokeContainerNames(containerName: string): string[] {
  return [containerName, probeContainerName(containerName)]
}

/** `docker create` arguments: the least the image needs to start, and the check's health options. Pure. */
export function smokeCreateArgs(r: SmokeRequest, healthArgs: string[] = []): string[] {
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
    ...healthArgs,
    ...r.runArgs,
    r.image,
    ...(r.args ?? [])
  ]
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** True when the image config and smoke-args leave nothing to start. Pure. */
export function hasNoCommand(config: Record<string, unknown>, args?: readonly string[]): boolean {
  return [...strings(config.Entrypoint), ...(args ?? strings(config.Cmd))].length === 0
}

/** The notice for a server that can only be seen not to die. Pure. */
export function readinessAdvice(config: Record<string, unknown>, probes: number, platform: string): Finding | undefined {
  const ports = Object.keys((config.ExposedPorts as Record<string, unknown> | undefined) ?? {}).slice(0, 5)
  if (ports.length === 0 || probes > 0 || healthcheckOf(config)) return undefined
  const port = /^\d+/.exec(ports[0]!)?.[0] ?? 'PORT'
  return {
    severity: 'notice',
    code: 'no-readiness-check',
    message: `The image EXPOSEs ${ports.join(', ')} but has no HEALTHCHECK, and no smoke-probe was given: the start check only sees that it did not die within smoke-timeout.`,
    fix: `Add a HEALTHCHECK to the final stage (for example \`HEALTHCHECK CMD ["/app", "-health"]\` with the program as its own health client, or busybox \`wget -q --spider http://localhost:${port}/\`), or give \`smoke-probe: http://:${port}/\` (or \`tcp://:${port}\`); the check then passes as soon as the server answers.`,
    platform
  }
}

/** Runs the start check. The container is always removed, whatever happens. */
export async function runSmoke(r: SmokeRequest): Promise<SmokeResult> {
  const inspector = new Inspector()
  try {
    return await check(r, inspector)
  } finally {
    inspector.close()
  }
}

async function check(r: SmokeRequest, inspector: Inspector): Promise<SmokeResult> {
  const context = { network: r.network, platform: r.platform }
  const config = (await inspector.imageConfig(r.image)) ?? {}
  if (hasNoCommand(config, r.args)) return notStarted('the image has neither ENTRYPOINT nor CMD, and no smoke-args were given, so there is no command to run')
  const healthcheck = healthcheckOf(config)
  const health = planHealth(healthcheck, r.health ?? 'auto', r.timeoutMs)
  const probes = r.probes ?? []
  if (health.missing) {
    return notStarted('smoke-health is true, but the image has no HEALTHCHECK', [
      {
        severity: 'error',
        code: 'no-healthcheck',
        message: 'smoke-health is true, but the image has no HEALTHCHECK, so its readiness cannot be checked.',
        fix: 'Add a HEALTHCHECK to the final stage of the Dockerfile, or use `smoke-health: auto` (with `smoke-probe` for a server without one).',
        platform: r.platform
      }
    ])
  }
  const advice = readinessAdvice(config, probes.length, r.platform)
  const probeImage = r.probeImage ?? DEFAULT_PROBE_IMAGE
  const probeChoice = probes.length ? chooseProbeWay(r.probeVia ?? probeViaFromEnv(process.env), await readPrivilege()) : undefined
  if (probeChoice?.way === 'container') {
    const missing = await ensureProbeImage(probeImage)
    if (missing) return notStarted(`${missing}, so the probes cannot run`)
  }
  if (health.note) r.log?.(health.note)
  const withAdvice = (result: SmokeResult): SmokeResult => (advice ? { ...result, findings: [...(result.findings ?? []), advice] } : result)

  const created = await docker(smokeCreateArgs(r, health.createArgs), { allowFailure: true, timeoutMs: 120_000 })
  if (created.exitCode !== 0) {
    await remove(r.containerName)
    return failed(
      {
        outcome: 'start-failed',
        exitCode: null,
        durationMs: 0,
        message: `the container could not be created: ${lastErrorLine(created.stderr)}`
      },
      ''
    )
  }
  const started = Date.now()
  try {
    const start = await docker(['start', r.containerName], { allowFailure: true, timeoutMs: r.timeoutMs + 30_000 })
    if (start.exitCode !== 0) {
      return classifySmoke(
        {
          startError: `${start.stderr}\n${start.stdout}`,
          exitCode: null,
          stillRunning: false,
          output: await logs(r.containerName),
          durationMs: Date.now() - started
        },
        r.acceptedExitCodes
      )
    }
    if (!health.use && probes.length === 0) return withAdvice(await untilTimeout(r, inspector, started))
    const waited = await waitReady({ ...r, health, healthcheck, probes, probeChoice, probeImage }, inspector, started)
    if (waited.kind === 'exited') {
      const raw = {
        exitCode: waited.state.exitCode,
        stillRunning: false,
        output: await logs(r.containerName),
        durationMs: waited.durationMs,
        mustRun: health.use ? ('healthy' as const) : ('probed' as const)
      }
      return { ...classifySmoke(raw, r.acceptedExitCodes, context), ...waited.result }
    }
    // Ready or not, the verdict is in: the container is removed at once, without a stop's grace period.
    if (waited.kind === 'ready') return readyResult(waited, 'removed')
    return notReadyResult(waited, await logs(r.containerName), context)
  } finally {
    await remove(r.containerName)
  }
}

/** No readiness check: wait for an exit until the timeout; a container still running then has started. */
async function untilTimeout(r: SmokeRequest, inspector: Inspector, started: number): Promise<SmokeResult> {
  const remaining = Math.max(1, r.timeoutMs - (Date.now() - started))
  const wait = await docker(['wait', r.containerName], { allowFailure: true, timeoutMs: remaining })
  const durationMs = Date.now() - started
  let exitCode: number | null = wait.timedOut ? null : Number.parseInt(wait.stdout.trim(), 10)
  if (exitCode === null || Number.isNaN(exitCode)) {
    // The wait ended without a code (it timed out, or the CLI was slower than a short timeout): the state tells.
    const state = await inspector.state(r.containerName)
    exitCode = state && !state.running ? state.exitCode : null
  }
  const stillRunning = exitCode === null
  const killed = stillRunning ? await stop(r.containerName, inspector) : false
  return classifySmoke({ exitCode, stillRunning, killed, output: await logs(r.containerName), durationMs }, r.acceptedExitCodes, {
    network: r.network,
    platform: r.platform
  })
}

/** Stops a container that is still running; true when it had to be killed. */
async function stop(name: string, inspector: Inspector): Promise<boolean> {
  await docker(['stop', '--time', String(STOP_GRACE_SECONDS), name], { allowFailure: true, timeoutMs: 30_000 })
  return (await inspector.state(name))?.exitCode === 137
}

async function logs(name: string): Promise<string> {
  const out = await docker(['logs', '--tail', '200', name], { allowFailure: true, maxOutputBytes: 256 * 1024 })
  return out.stdout + out.stderr
}

async function remove(name: string): Promise<void> {
  await docker(['rm', '--force', '--volumes', name], { allowFailure: true, timeoutMs: 60_000, cleanup: true })
}
