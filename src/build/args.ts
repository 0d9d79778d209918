/** The argument list of one platform's `docker buildx build`. Pure. */

/** The build options smokestack shares with docker/build-push-action, checked by src/inputs/build.ts. */
export interface BuildOptions {
  /** `--cache-from` entries as the user wrote them. */
  cacheFrom: string[]
  /** `--cache-to` entries as the user wrote them. */
  cacheTo: string[]
  /** `--attest` values (provenance and sbom inputs first); empty asks for no attestation at all. */
  attests: string[]
  /** `--annotation` values (manifest annotations). */
  annotations: string[]
  /** `--ssh` values (`default` or `ID=PATH`). */
  ssh: string[]
  /** Secrets buildx reads from its own environment: `--secret id=ID,env=VARIABLE`. */
  secretEnvs: { id: string; env: string }[]
  /** `--build-context NAME=VALUE`, local paths resolved. */
  buildContexts: string[]
  pull: boolean
  /** `--network` of RUN instructions: default, none or host. */
  network?: string
  addHosts: string[]
  /** `--allow` entitlements. */
  allow: string[]
  shmSize?: string
  ulimits: string[]
  noCacheFilters: string[]
  cgroupParent?: string
}

export const NO_BUILD_OPTIONS: BuildOptions = {
  cacheFrom: [],
  cacheTo: [],
  attests: [],
  annotations: [],
  ssh: [],
  secretEnvs: [],
  buildContexts: [],
  pull: false,
  addHosts: [],
  allow: [],
  ulimits: [],
  noCacheFilters: []
}

export interface BuildRequest {
  /** A directory, or a Git URL (then `file` is a path inside it, or empty for its Dockerfile). */
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
  /** The options shared with docker/build-push-action; none when absent. */
  options?: BuildOptions
}

function repeat(flag: string, values: readonly string[]): string[] {
  return values.flatMap((v) => [flag, v])
}

/** The flags of the shared build options. */
export function buildOptionArgs(o: BuildOptions): string[] {
  const args = [
    ...repeat('--build-context', o.buildContexts),
    ...repeat('--cache-from', o.cacheFrom),
    ...repeat('--cache-to', o.cacheTo),
    ...repeat('--annotation', o.annotations),
    ...repeat('--ssh', o.ssh),
    ...repeat('--secret', o.secretEnvs.map((s) => `id=${s.id},env=${s.env}`)),
    ...repeat('--add-host', o.addHosts),
    ...repeat('--allow', o.allow),
    ...repeat('--ulimit', o.ulimits),
    ...repeat('--no-cache-filter', o.noCacheFilters)
  ]
  if (o.network) args.push('--network', o.network)
  if (o.shmSize) args.push('--shm-size', o.shmSize)
  if (o.cgroupParent) args.push('--cgroup-parent', o.cgroupParent)
  if (o.pull) args.push('--pull')
  // Attestations, as the inputs ask. Without any, none is made (not even buildx's default
  // provenance): each platform is `--load`ed and tested as a plain image.
  // What `--load` does with attestations depends on the image store (seen with dockerd 26.1,
  // buildx 0.13): on the containerd store the engine keeps an index holding the image manifest
  // and an attestation manifest (platform unknown/unknown); the image ID is the index's digest,
  // and the metadata file has no `containerimage.config.digest`. The classic store holds images,
  // not indexes; BuildKit's own tests expect the engine's builder there to refuse attestations
  // ("Attestation is not supported"), which these machines cannot show (one engine, one store).
  if (o.attests.length === 0) args.push('--provenance=false', '--sbom=false')
  else args.push(...repeat('--attest', o.attests))
  return args
}

export function buildArgs(r: BuildRequest): string[] {
  const args = ['buildx', 'build']
  if (r.builder) args.push('--builder', r.builder)
  args.push('--platform', r.platforms.join(','))
  if (r.file) args.push('--file', r.file)
  if (r.target) args.push('--target', r.target)
  for (const [k, v] of Object.entries(r.buildArgs)) args.push('--build-arg', `${k}=${v}`)
  for (const [k, v] of Object.entries(r.labels)) args.push('--label', `${k}=${v}`)
  for (const s of r.secrets) args.push('--secret', s)
  if (r.noCache) args.push('--no-cache')
  args.push(...r.cacheArgs)
  args.push(...buildOptionArgs(r.options ?? NO_BUILD_OPTIONS))
  // The image is loaded into the engine under a per-run name.
  args.push('--load', '--tag', r.localRef, '--metadata-file', r.metadataFile, '--progress', 'plain')
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
