/** The argument list of one platform's `docker buildx build`. Pure. */

export interface BuildRequest {
  context: string
  file: string
  /** One platform, or several built in one solve into one multi-platform image. */
  platforms: readonly string[]
  localRef: string
  target?: string
  builder?: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
  noCache: boolean
  /** `--cache-from`/`--cache-to` flags from the cache plan. */
  cacheArgs: string[]
  /** `--secret` specs, `id=ID,src=FILE`. */
  secrets: string[]
  metadataFile: string
}

export function buildArgs(r: BuildRequest): string[] {
  const args = ['buildx', 'build']
  if (r.builder) args.push('--builder', r.builder)
  args.push('--platform', r.platforms.join(','), '--file', r.file)
  if (r.target) args.push('--target', r.target)
  for (const [k, v] of Object.entries(r.buildArgs)) args.push('--build-arg', `${k}=${v}`)
  for (const [k, v] of Object.entries(r.labels)) args.push('--label', `${k}=${v}`)
  for (const s of r.secrets) args.push('--secret', s)
  if (r.noCache) args.push('--no-cache')
  args.push(...r.cacheArgs)
  // The image is loaded into the engine under a per-run name; attestations would turn it into an index.
  args.push('--provenance=false', '--sbom=false', '--load', '--tag', r.localRef, '--metadata-file', r.metadataFile, '--progress', 'plain')
  args.push(r.context)
  return args
}

/** A unique, valid local reference for one platform of one run, or for all of them built in one solve (`platform` undefined). */
export function localReference(runId: string, platform?: string): string {
  return `smokestack-local/${runId}:${platform === undefined ? 'all' : platform.replace(/\//g, '-')}`
}

/** The digests BuildKit writes in `--metadata-file`. */
export function parseBuildMetadata(json: string): { configDigest?: string; imageDigest?: string } {
  try {
    const m = JSON.parse(json) as Record<string, unknown>
    const str = (k: string): string | undefined => (typeof m[k] === 'string' ? (m[k] as string) : undefined)
    return { configDigest: str('containerimage.config.digest'), imageDigest: str('containerimage.digest') }
  } catch {
    return {}
  }
}

/** The last lines of a build log that say what failed (BuildKit prints `ERROR:` and the failing step). */
export function buildFailureSummary(log: string): string {
  const lines = log.split(/\r?\n/).filter((l) => l.trim())
  const err = lines.findLastIndex((l) => /^ERROR:|^error:|failed to solve/i.test(l.trim()))
  if (err >= 0) return lines[err].trim().replace(/^ERROR:\s*/, '')
  return lines.at(-1)?.trim() ?? 'the build failed'
}
