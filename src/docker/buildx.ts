/** Finding buildx, checking its version, bootstrapping the builder and reading what it can build. */
import { docker } from './exec.js'

export const MIN_BUILDX_VERSION = '0.10.0'

export interface BuilderInfo {
  name: string
  driver: string
  /** Platforms the builder reports, normalized, in its order. */
  platforms: string[]
}

/** `github.com/docker/buildx 0.13.1 ...` or `github.com/docker/buildx v0.17.1 abc` → `0.13.1`. */
export function parseBuildxVersion(output: string): string | undefined {
  return /\bv?(\d+\.\d+\.\d+)/.exec(output)?.[1]
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** Reads `docker buildx inspect` output: name, driver and platforms of the first node. */
export function parseBuilderInspect(output: string): BuilderInfo {
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(output)?.[1]?.trim()
  const platforms = (field('Platforms') ?? '')
    .split(',')
    .map((p) => p.trim().replace(/\*$/, ''))
    .filter((p) => /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(p))
  return { name: field('Name') ?? 'default', driver: field('Driver') ?? 'unknown', platforms }
}

/** Finds buildx and checks that it is recent enough. */
export async function checkBuildx(): Promise<string> {
  const result = await docker(['buildx', 'version'], { allowFailure: true })
  if (result.exitCode !== 0) {
    throw new Error(
      `docker buildx is not available (${result.stderr.trim().split('\n').at(-1) ?? 'no output'}); install the buildx plugin (docker/setup-buildx-action, or the docker-buildx package) so that "docker buildx version" works`
    )
  }
  const version = parseBuildxVersion(result.stdout)
  if (!version) throw new Error(`could not read the buildx version from: ${result.stdout.trim()}`)
  if (compareVersions(version, MIN_BUILDX_VERSION) < 0) {
    throw new Error(`buildx ${version} is too old: smokestack needs buildx ${MIN_BUILDX_VERSION} or newer; update it (docker/setup-buildx-action installs the latest)`)
  }
  return version
}

/** Bootstraps the builder (the current one when `name` is undefined) and reads its driver and platforms. */
export async function inspectBuilder(name?: string): Promise<BuilderInfo> {
  const args = ['buildx', 'inspect', '--bootstrap', ...(name ? [name] : [])]
  const result = await docker(args, { allowFailure: true })
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split('\n').at(-1) ?? ''
    throw new Error(`builder ${name ? `"${name}"` : '(current)'} could not be started: ${why}${name ? '; check the "builder" input (docker buildx ls lists the builders)' : ''}`)
  }
  return parseBuilderInspect(result.stdout)
}
