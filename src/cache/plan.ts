/**
 * Whether BuildKit's cache is kept between runs, under which key, and the build flags that go with it.
 * Pure: every fact about the environment is handed in.
 */
import { createHash } from 'node:crypto'
import * as path from 'node:path'

export type CacheMode = 'auto' | 'true' | 'false'

export interface CachePlanInput {
  /** The `cache` input. */
  mode: CacheMode
  /** The `cache-key` input: an extra key part, may be empty. */
  extraKey: string
  /** The user gives `cache-from`/`cache-to` entries of their own: then `auto` leaves the built-in cache off. */
  userCache?: boolean
  /** Running inside GitHub Actions (`GITHUB_ACTIONS=true`). */
  inActions: boolean
  /** The Actions cache service is configured (see {@link cacheServiceAvailable}). */
  serviceAvailable: boolean
  /** The buildx driver of the builder in use: `docker`, `docker-container`, `remote`, `kubernetes`. */
  driver: string
  /** The Docker engine stores images in containerd (`docker info` driver-type `io.containerd.snapshotter.v1`). */
  containerdStore: boolean
  /** Runner OS, e.g. `Linux`. */
  os: string
  platforms: string[]
  target?: string
  /** sha256 of the Dockerfile. */
  dockerfileHash: string
  /** sha256 over the lock files in the build context. */
  lockfilesHash: string
  /** A directory that keeps its path between runs (the runner's `RUNNER_TEMP`). */
  tempDir: string
}

export interface DisabledCachePlan {
  enabled: false
  /** One line: why the cache is off and how to turn it on. */
  reason: string
  /** The user asked for the cache (`cache: true`): show the reason as a warning, not as a notice. */
  warn: boolean
}

export interface EnabledCachePlan {
  enabled: true
  /** Exact key this run saves under. */
  key: string
  /** Prefixes tried in order when the exact key is missing. */
  restoreKeys: string[]
  /** The one path handed to the cache service: restored into, saved from. Keep it stable between runs. */
  archiveDir: string
  /** Where BuildKit imports cache from (`--cache-from type=local,src=`). */
  restoreDir: string
  /** Where BuildKit exports a fresh cache (`--cache-to type=local,dest=`); replaces the old one on save. */
  saveDir: string
  /** `--cache-from …` `--cache-to …` flags for one `docker buildx build`. */
  buildArgs: string[]
}

export type CachePlan = DisabledCachePlan | EnabledCachePlan

/** Drivers that export build cache on their own. */
const EXPORTING_DRIVERS = new Set(['docker-container', 'remote', 'kubernetes'])

/** The cache service refuses keys longer than this. */
const MAX_KEY_LENGTH = 512

export function planCache(input: CachePlanInput): CachePlan {
  if (input.mode === 'false') {
    return off('Build cache is off: the "cache" input is false; set it to auto or true to keep BuildKit\'s cache between runs.', false)
  }
  const explicit = input.mode === 'true'
  if (input.mode === 'auto' && input.userCache) {
    return off('Build cache is off: cache-from/cache-to are given, and they replace the built-in cache; set "cache: true" to keep both.', false)
  }
  if (input.mode === 'auto' && !input.inActions) {
    return off('Build cache is off: not running in GitHub Actions; set "cache: true" inside a workflow to keep BuildKit\'s cache between runs.', false)
  }
  if (!input.serviceAvailable) {
    return off(
      'Build cache is off: the Actions cache service is not configured (ACTIONS_RUNTIME_TOKEN with ACTIONS_CACHE_URL or ACTIONS_RESULTS_URL); run inside a GitHub Actions job to use it.',
      explicit
    )
  }
  const incapable = builderCannotExport(input.driver, input.containerdStore)
  if (incapable) return off(incapable, explicit)

  const key = cacheKey(input)
  const root = path.join(input.tempDir, 'smokestack-cache')
  const restoreDir = path.join(root, 'from')
  const saveDir = path.join(root, 'to')
  return {
    enabled: true,
    key: key.key,
    restoreKeys: [key.prefix],
    archiveDir: path.join(root, 'archive'),
    restoreDir,
    saveDir,
    buildArgs: cacheBuildArgs(restoreDir, saveDir)
  }
}

/** Why the builder cannot export cache, or `undefined` when it can. */
export function builderCannotExport(driver: string, containerdStore: boolean): string | undefined {
  if (EXPORTING_DRIVERS.has(driver)) return undefined
  if (driver === 'docker') {
    if (containerdStore) return undefined
    return 'Build cache is off: the "docker" driver on the classic image store cannot export cache; enable the containerd image store (dockerd "features": {"containerd-snapshotter": true}) or use a docker-container builder (docker/setup-buildx-action).'
  }
  return `Build cache is off: the "${driver}" buildx driver is not known to export cache; use a docker-container builder (docker/setup-buildx-action) or the docker driver on the containerd image store.`
}

/**
 * `--cache-from`/`--cache-to` flags for the local cache store. A `tag` keeps several builds (one per
 * platform, say) side by side in the same store; one multi-platform build needs none.
 */
export function cacheBuildArgs(restoreDir: string, saveDir: string, tag?: string): string[] {
  const tagPart = tag ? `,tag=${sanitizeTag(tag)}` : ''
  return ['--cache-from', `type=local,src=${restoreDir}${tagPart}`, '--cache-to', `type=local,dest=${saveDir},mode=max${tagPart}`]
}

/**
 * The flags for a build after the restore. An exact hit has nothing new worth saving (the service keeps
 * the first entry under a key), so that build only imports: exporting hundreds of megabytes of cache
 * again would cost more time than the cache saves. A `tag` scopes them to one of several separate builds.
 */
export function cacheArgsAfterRestore(plan: EnabledCachePlan, hit: 'true' | 'false' | 'partial', tag?: string): string[] {
  const args = tag ? cacheBuildArgsFor(plan, tag) : plan.buildArgs
  return hit === 'true' ? args.slice(0, 2) : args
}

/** The same flags as `plan.buildArgs`, scoped to one of several separate builds (e.g. one per platform). */
export function cacheBuildArgsFor(plan: EnabledCachePlan, tag: string): string[] {
  return cacheBuildArgs(plan.restoreDir, plan.saveDir, tag)
}

/**
 * `smokestack-<os>-<driver>-<platforms>-<target|default>[-<extraKey>]-<hash>`; the prefix is the same
 * without the hash, so a change to the Dockerfile or a lock file still restores the previous cache.
 */
export function cacheKey(input: Pick<CachePlanInput, 'os' | 'driver' | 'platforms' | 'target' | 'extraKey' | 'dockerfileHash' | 'lockfilesHash'>): {
  key: string
  prefix: string
} {
  const platforms = [...new Set(input.platforms)].sort().join('+') || 'native'
  const parts = ['smokestack', input.os.toLowerCase(), input.driver, platforms, input.target?.trim() || 'default', input.extraKey.trim()]
    .filter((p) => p.length > 0)
    .map(keyPart)
  const hash = createHash('sha256').update(`${input.dockerfileHash}\n${input.lockfilesHash}`).digest('hex').slice(0, 24)
  let prefix = `${parts.join('-')}-`
  const room = MAX_KEY_LENGTH - hash.length
  if (prefix.length > room) {
    // Keep the key within the service's limit without losing its distinctness.
    const digest = createHash('sha256').update(prefix).digest('hex').slice(0, 16)
    prefix = `${prefix.slice(0, room - digest.length - 2)}-${digest}-`
  }
  return { key: `${prefix}${hash}`, prefix }
}

/** Key parts cannot hold commas (the service splits on them) nor line breaks. */
function keyPart(part: string): string {
  return part.replace(/[,\s]+/g, '_')
}

function sanitizeTag(tag: string): string {
  return tag.replace(/[^A-Za-z0-9_.-]+/g, '-')
}

function off(reason: string, warn: boolean): DisabledCachePlan {
  return { enabled: false, reason, warn }
}

/**
 * Whether `@actions/cache` can reach a cache service with this environment: the same rule the library
 * applies (v2 needs `ACTIONS_RESULTS_URL`, v1 `ACTIONS_CACHE_URL`), plus the runtime token both need.
 */
export function cacheServiceAvailable(env: NodeJS.ProcessEnv): boolean {
  if (!env.ACTIONS_RUNTIME_TOKEN) return false
  return cacheServiceVersion(env) === 'v2' ? Boolean(env.ACTIONS_RESULTS_URL) : Boolean(env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL)
}

/** Which protocol `@actions/cache` speaks: v2 (Twirp) when asked for and not on GitHub Enterprise Server. */
export function cacheServiceVersion(env: NodeJS.ProcessEnv): 'v1' | 'v2' {
  let host: string
  try {
    host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname.toLowerCase()
  } catch {
    // An unparsable server URL is treated like GitHub Enterprise Server below.
    host = ''
  }
  const ghes = !(host === 'github.com' || host.endsWith('.ghe.com') || host.endsWith('.localhost'))
  if (ghes) return 'v1'
  return env.ACTIONS_CACHE_SERVICE_V2 ? 'v2' : 'v1'
}
