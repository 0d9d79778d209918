/**
 * What each buildx driver gives the checks, decided from `docker buildx inspect` before anything is built.
 * The image doctor, the start check and the size step run on the engine the docker client talks to, so the
 * built image must land there:
 * - `docker`: BuildKit inside an engine builds straight into that engine's image store. Only the engine of the
 *   current docker context is the one the checks use; a docker-driver builder of another context is refused.
 * - `docker-container`, `remote`, `kubernetes` (and drivers not known here): BuildKit runs elsewhere and
 *   `--load` streams the result through the client into the current engine: one platform per build on the
 *   classic image store, several in one solve on the containerd store.
 * Pure.
 */
import type { BuilderInfo, DockerContext } from '../docker/buildx.js'
import { canonicalPlatform } from '../docker/platform.js'

/** Drivers whose `--load` goes through the client into the current engine. */
const STREAMING_DRIVERS = new Set(['docker-container', 'remote', 'kubernetes'])

export interface LoadPlan {
  /** How the image reaches the engine the checks use: built in it, or streamed into it by `--load`. */
  load: 'in-engine' | 'streamed'
  /** What the log says about the builder. */
  notes: string[]
}

export class BuilderError extends Error {
  override name = 'BuilderError'
}

/** Two docker contexts talk to the same engine: the same name, or the same engine address. */
function sameEngine(a: DockerContext, b: DockerContext): boolean {
  return a.name === b.name || (a.host !== undefined && a.host === b.host)
}

/**
 * How the builder's images reach the checks; throws a BuilderError, naming the builder and what to change,
 * when they cannot (the docker driver of another engine, no usable node). `current` is the client's docker
 * context; `builderContext` the one a docker-driver builder's node names.
 */
export function planLoad(builder: BuilderInfo, current: DockerContext, builderContext?: DockerContext): LoadPlan {
  const nodes = builder.nodes ?? []
  const usable = nodes.filter((n) => !n.error && (n.status === undefined || n.status === 'running'))
  if (nodes.length > 0 && usable.length === 0) {
    const why = nodes.map((n) => `${n.name}: ${n.error ?? n.status ?? 'not running'}`).join('; ')
    throw new BuilderError(`builder "${builder.name}" (${builder.driver}) has no running node (${why}); start it (docker buildx inspect --bootstrap ${builder.name}) or choose another with the "builder" input`)
  }
  const notes = nodes.filter((n) => !usable.includes(n)).map((n) => `Builder node ${n.name} is not usable (${n.error ?? n.status}); BuildKit builds on the others.`)
  if (builder.driver === 'docker') {
    const endpoint = nodes[0]?.endpoint
    const of = builderContext ?? (endpoint !== undefined ? { name: endpoint } : undefined)
    if (of !== undefined && !sameEngine(of, current)) {
      const hosts = of.host && current.host ? ` (${of.host}, not ${current.host})` : ''
      throw new BuilderError(
        `builder "${builder.name}" uses the docker driver of context "${of.name}", so its images are loaded into that engine, while the checks run on the engine of the current context "${current.name}"${hosts}; choose a builder of the current context, switch the context (DOCKER_CONTEXT=${of.name}), or use a docker-container builder`
      )
    }
    return { load: 'in-engine', notes }
  }
  if (!STREAMING_DRIVERS.has(builder.driver)) notes.push(`The "${builder.driver}" buildx driver is not known here; its images are loaded through the client (--load) into the current engine.`)
  const where = nodes.map((n) => n.endpoint).filter(Boolean)
  notes.push(`BuildKit runs ${where.length ? `at ${where.join(', ')}` : 'outside the engine'} (${builder.driver} driver); each image is streamed into the current engine for the checks.`)
  return { load: 'streamed', notes }
}

/**
 * Whether one solve can build every platform into one image the engine keeps: the containerd image store holds
 * a multi-platform image, whether built in it (docker driver) or streamed into it (the other drivers).
 */
export function sharedSolve(platforms: readonly string[], containerdStore: boolean, driver: string): boolean {
  return platforms.length > 1 && containerdStore && (driver === 'docker' || STREAMING_DRIVERS.has(driver))
}

/** Requested platforms no node of the builder lists: BuildKit emulates them on a node with QEMU, or fails. */
export function unlistedPlatforms(builder: BuilderInfo, platforms: readonly string[]): string[] {
  if (builder.platforms.length === 0) return []
  const listed = new Set(builder.platforms.map(canonicalPlatform))
  return platforms.filter((p) => !listed.has(canonicalPlatform(p)))
}
