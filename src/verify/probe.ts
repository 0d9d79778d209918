/**
 * `smoke-probe` checks, run against a container that keeps `--network none`, from inside its own
 * network namespace: with `nsenter --net` running the runner's Node on a small script when the
 * runner may (root, or `sudo -n` works, and the engine is on this machine), else from a small probe
 * container joined to the namespace (`--network container:<name>`). Neither gives the container any
 * network; which way was used is said in the log.
 */
import * as fs from 'node:fs'
import { docker, lastErrorLine, run } from '../docker/exec.js'
import { engineEndpoint } from '../docker/api.js'
import { PROBE_NODE_SCRIPT, PROBE_SH_SCRIPT, parseProbeOutput } from './probe-scripts.js'
import type { Probe } from '../inputs/probes.js'

export type ProbeWay = 'nsenter' | 'container'
export type ProbeVia = 'auto' | ProbeWay

export interface Privilege {
  root: boolean
  /** `sudo -n true` succeeds (GitHub-hosted runners). */
  sudo: boolean
  nsenter: boolean
  /** The engine runs on this machine (a unix socket): its process ids are ours. */
  localEngine: boolean
}

export interface ProbeChoice {
  way: ProbeWay
  sudo: boolean
  why: string
}

/** Which way the probes go. Pure. */
export function chooseProbeWay(via: ProbeVia, p: Privilege): ProbeChoice {
  if (via === 'container') return { way: 'container', sudo: false, why: 'the probe container was asked for' }
  if (via === 'nsenter') return { way: 'nsenter', sudo: !p.root, why: 'nsenter was asked for' }
  if (!p.localEngine) return { way: 'container', sudo: false, why: 'the engine is not on this machine' }
  if (!p.nsenter) return { way: 'container', sudo: false, why: 'nsenter (util-linux) is not installed' }
  if (p.root) return { way: 'nsenter', sudo: false, why: 'the runner is root' }
  if (p.sudo) return { way: 'nsenter', sudo: true, why: 'sudo -n works' }
  return { way: 'container', sudo: false, why: 'entering the namespace needs root, and sudo asks for a password' }
}

/** `SMOKESTACK_PROBE_VIA=container|nsenter` forces a way (tests use it to run the fallback). */
export function probeViaFromEnv(env: NodeJS.ProcessEnv): ProbeVia {
  const v = env.SMOKESTACK_PROBE_VIA
  return v === 'container' || v === 'nsenter' ? v : 'auto'
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    return (await run(command, args, { allowFailure: true, timeoutMs: 5_000 })).exitCode === 0
  } catch {
    return false
  }
}

export async function readPrivilege(env: NodeJS.ProcessEnv = process.env): Promise<Privilege> {
  const root = process.getuid?.() === 0
  const endpoint = engineEndpoint(env)
  const [nsenter, sudo] = await Promise.all([succeeds('nsenter', ['--version']), root ? Promise.resolve(false) : succeeds('sudo', ['-n', 'true'])])
  return { root, sudo, nsenter, localEngine: endpoint.ok && endpoint.endpoint.kind === 'unix' }
}

export interface ProbeResult {
  ok: boolean
  detail: string
}

export interface Prober {
  way: ProbeWay
  /** For the log: how the probes reach the container. */
  description: string
  attempt(probes: readonly Probe[], timeoutMs: number): Promise<ProbeResult[]>
  close(): Promise<void>
}

const triples = (probes: readonly Probe[]): string[] => probes.flatMap((p) => [p.kind, String(p.port), p.path || '-'])

/** The name of the probe container of a start-check container. */
export function probeContainerName(containerName: string): string {
  return `${containerName}-probe`
}

/** Make sure the probe image is there before the check starts: its pull must not eat the check's time. */
export async function ensureProbeImage(image: string): Promise<string | undefined> {
  if ((await docker(['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, timeoutMs: 30_000 })).exitCode === 0) return undefined
  const pulled = await docker(['pull', '--quiet', image], { allowFailure: true, timeoutMs: 300_000 })
  return pulled.exitCode === 0 ? undefined : `the probe image ${image} could not be pulled: ${lastErrorLine(pulled.stderr)}`
}

/** True when process `pid` is in the cgroup of container `id`: the id the engine gave is the container's. */
function belongsTo(pid: number, id: string): boolean {
  try {
    return pid > 0 && fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(id)
  } catch {
    return false
  }
}

function nsenterProber(pid: number, sudo: boolean): Prober {
  const prefix = sudo ? ['sudo', '-n', 'nsenter'] : ['nsenter']
  return {
    way: 'nsenter',
    description: `from inside its network namespace (${prefix.join(' ')} --net, the runner's Node)`,
    async attempt(probes, timeoutMs) {
      const args = [
        ...prefix.slice(1),
        '--target',
        String(pid),
        '--net',
        '--',
        process.execPath,
        '-e',
        PROBE_NODE_SCRIPT,
        String(timeoutMs),
        ...triples(probes)
      ]
      const r = await run(prefix[0]!, args, { allowFailure: true, timeoutMs: timeoutMs * 2 + 5_000, maxOutputBytes: 64 * 1024 })
      return parseProbeOutput(r.stdout, probes.length)
    },
    async close() {}
  }
}

async function containerProber(target: string, image: string, lifetimeMs: number): Promise<Prober | string> {
  const name = probeContainerName(target)
  const seconds = Math.ceil(lifetimeMs / 1000) + 30
  // Removed by us; and, should that fail, by the engine once its sleep ends (--rm).
  const started = await docker(
    [
      'run',
      '--detach',
      '--rm',
      '--name',
      name,
      '--network',
      `container:${target}`,
      '--label',
      'org.smokestack.role=probe',
      '--security-opt',
      'no-new-privileges',
      '--pids-limit',
      '64',
      '--memory',
      '64m',
      '--entrypoint',
      'sleep',
      image,
      String(seconds)
    ],
    { allowFailure: true, timeoutMs: 60_000 }
  )
  if (started.exitCode !== 0) return `the probe container could not start: ${lastErrorLine(started.stderr)}`
  return {
    way: 'container',
    description: `from a probe container (${image}) joined to its network namespace`,
    async attempt(probes, timeoutMs) {
      const r = await docker(['exec', name, 'sh', '-c', PROBE_SH_SCRIPT, 'sh', String(Math.max(1, Math.ceil(timeoutMs / 1000))), ...triples(probes)], {
        allowFailure: true,
        timeoutMs: timeoutMs * 2 + 5_000,
        maxOutputBytes: 64 * 1024
      })
      return parseProbeOutput(r.stdout, probes.length)
    },
    async close() {
      await docker(['rm', '--force', name], { allowFailure: true, timeoutMs: 60_000, cleanup: true })
    }
  }
}

/**
 * A prober for the running container `target` (name, id, pid). nsenter is used only when the
 * process the engine named is in the container's cgroup; otherwise the probe container.
 */
export async function openProber(
  choice: ProbeChoice,
  target: { name: string; id: string; pid: number },
  image: string,
  lifetimeMs: number
): Promise<{ prober?: Prober; note: string; error?: string }> {
  if (choice.way === 'nsenter') {
    if (belongsTo(target.pid, target.id)) return { prober: nsenterProber(target.pid, choice.sudo), note: choice.why }
    const missing = await ensureProbeImage(image)
    if (missing) return { note: '', error: missing }
    const fallback = await containerProber(target.name, image, lifetimeMs)
    const why = `process ${target.pid} is not seen in the container's cgroup from here`
    return typeof fallback === 'string' ? { note: why, error: fallback } : { prober: fallback, note: why }
  }
  const prober = await containerProber(target.name, image, lifetimeMs)
  return typeof prober === 'string' ? { note: choice.why, error: prober } : { prober, note: choice.why }
}
