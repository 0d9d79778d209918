/** Facts about the engine: reachable at all, its architecture, its image store. */
import { docker } from './exec.js'
import { hostPlatform } from './platform.js'
import { DEFAULT_REGISTRY_CONFIG, type EngineRegistryConfig } from './registry-http.js'

export interface EngineInfo {
  /** The engine's own platform, e.g. linux/amd64. */
  platform: string
  /** True when images live in containerd's store (multi-platform images, cache export with the docker driver). */
  containerdStore: boolean
  serverVersion: string
  /** The registries it treats as insecure (names and address ranges). */
  registryConfig: EngineRegistryConfig
}

interface RegistryConfig {
  InsecureRegistryCIDRs?: string[] | null
  IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }> | null
}

/** The engine's insecure registries from `docker info`. Pure. */
export function registryConfigOf(config: RegistryConfig | undefined): EngineRegistryConfig {
  if (!config) return DEFAULT_REGISTRY_CONFIG
  const names = Object.entries(config.IndexConfigs ?? {})
    .filter(([, v]) => v.Secure === false)
    .map(([k]) => k)
  return { insecureCidrs: config.InsecureRegistryCIDRs ?? DEFAULT_REGISTRY_CONFIG.insecureCidrs, insecureRegistries: names }
}

/** What the run needs from its machine is missing: no engine, no buildx, no builder (the command line exits 3). */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError'
}

export function describeEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST
    ? `DOCKER_HOST=${env.DOCKER_HOST}`
    : env.DOCKER_CONTEXT
      ? `context ${env.DOCKER_CONTEXT}`
      : 'unix:///var/run/docker.sock (DOCKER_HOST is not set)'
}

export async function inspectEngine(): Promise<EngineInfo> {
  const result = await docker(['info', '--format', '{{json .}}'], { allowFailure: true, timeoutMs: 30_000 })
  let info: { Architecture?: string; OSType?: string; ServerVersion?: string; DriverStatus?: string[][]; Driver?: string; RegistryConfig?: RegistryConfig } = {}
  try {
    info = JSON.parse(result.stdout) as typeof info
  } catch {
    // handled below
  }
  if (result.exitCode !== 0 || !info.ServerVersion) {
    const why = (result.stderr.trim().split('\n').at(-1) ?? '').replace(/^ERROR:\s*/, '')
    throw new EnvironmentError(
      `the Docker engine is not reachable at ${describeEndpoint()}${why ? `: ${why}` : ''}. Start the engine (for example "sudo systemctl start docker") or point DOCKER_HOST at a running one`
    )
  }
  const containerdStore = (info.DriverStatus ?? []).some(([k, v]) => /driver-type/i.test(k ?? '') && /snapshotter/i.test(v ?? ''))
  return {
    platform: hostPlatform(info.OSType ?? 'linux', info.Architecture ?? 'x86_64'),
    containerdStore,
    serverVersion: info.ServerVersion,
    registryConfig: registryConfigOf(info.RegistryConfig)
  }
}
