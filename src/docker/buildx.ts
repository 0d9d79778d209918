/** Finding buildx, checking its version, bootstrapping the builder and reading what it can build. */
import { docker } from './exec.js'
import { EnvironmentError } from './engine.js'

export const MIN_BUILDX_VERSION = '0.10.0'

/** One node of a builder: where its BuildKit runs. */
export interface BuilderNode {
  name: string
  /** A docker context (docker driver), a docker endpoint (docker-container), `tcp://…`, `kubernetes:///…`. */
  endpoint?: string
  status?: string
  /** Why the node cannot be used, as buildx says it. */
  error?: string
  platforms: string[]
}

export interface BuilderInfo {
  name: string
  driver: string
  /** Platforms the builder's nodes report, normalized, without repeats, in their order. */
  platforms: string[]
  nodes?: BuilderNode[]
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

function platformList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((p) => p.trim().replace(/\*$/, ''))
    .filter((p) => /^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(p))
}

/** Reads `docker buildx inspect` output: the builder's name and driver, then each node after `Nodes:`. */
export function parseBuilderInspect(output: string): BuilderInfo {
  const [head, body = ''] = output.split(/^Nodes:\s*$/m)
  const field = (text: string, name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim()
  // A node starts at its `Name:` line; indented lines (labels, GC policy) belong to it.
  const nodes: BuilderNode[] = body
    .split(/^(?=Name:)/m)
    .filter((chunk) => /^Name:/.test(chunk))
    .map((chunk) => ({
      name: field(chunk, 'Name') ?? '',
      endpoint: field(chunk, 'Endpoint'),
      status: field(chunk, 'Status'),
      error: field(chunk, 'Error'),
      platforms: platformList(field(chunk, 'Platforms'))
    }))
  const platforms = [...new Set(nodes.length ? nodes.flatMap((n) => n.platforms) : platformList(field(head, 'Platforms')))]
  return { name: field(head, 'Name') ?? 'default', driver: field(head, 'Driver') ?? 'unknown', platforms, nodes }
}

/** A docker context: its name and the engine it talks to, when docker can say. */
export interface DockerContext {
  name: string
  host?: string
}

/** The docker context named `name`, or the one the client talks to (`docker context show`). */
export async function dockerContext(name?: string): Promise<DockerContext> {
  let context = name
  if (context === undefined) {
    const shown = await docker(['context', 'show'], { allowFailure: true, timeoutMs: 30_000 })
    context = (shown.exitCode === 0 && shown.stdout.trim()) || 'default'
  }
  const inspected = await docker(['context', 'inspect', context, '--format', '{{.Endpoints.docker.Host}}'], { allowFailure: true, timeoutMs: 30_000 })
  return { name: context, host: (inspected.exitCode === 0 && inspected.stdout.trim()) || undefined }
}

/** Finds buildx and checks that it is recent enough. */
export async function checkBuildx(): Promise<string> {
  const result = await docker(['buildx', 'version'], { allowFailure: true })
  if (result.exitCode !== 0) {
    throw new EnvironmentError(
      `docker buildx is not available (${result.stderr.trim().split('\n').at(-1) ?? 'no output'}); install the buildx plugin (docker/setup-buildx-action, or the docker-buildx package) so that "docker buildx version" works`
    )
  }
  const version = parseBuildxVersion(result.stdout)
  if (!version) throw new EnvironmentError(`could not read the buildx version from: ${result.stdout.trim()}`)
  if (compareVersions(version, MIN_BUILDX_VERSION) < 0) {
    throw new EnvironmentError(
      `buildx ${version} is too old: smokestack needs buildx ${MIN_BUILDX_VERSION} or newer; update it (docker/setup-buildx-action installs the latest)`
    )
  }
  return version
}

/** Bootstraps the builder (the current one when `name` is undefined) and reads its driver and platforms. */
export async function inspectBuilder(name?: string): Promise<BuilderInfo> {
  const args = ['buildx', 'inspect', '--bootstrap', ...(name ? [name] : [])]
  const result = await docker(args, { allowFailure: true })
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split('\n').at(-1) ?? ''
    throw new EnvironmentError(
      `builder ${name ? `"${name}"` : '(current)'} could not be started: ${why}${name ? '; check the "builder" input (docker buildx ls lists the builders)' : ''}`
    )
  }
  return parseBuilderInspect(result.stdout)
}
