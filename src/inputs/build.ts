/**
 * The build inputs smokestack shares with docker/build-push-action, with its names, syntax and
 * meaning: cache-from/-to, attestations, annotations, ssh, secret-envs, build-contexts, pull,
 * network, add-hosts, allow, shm-size, ulimit, no-cache-filters, cgroup-parent. Each entry is
 * checked here, so a typo fails before anything is built instead of deep in a buildx log.
 */
import type { BuildOptions } from '../build/args.js'
import { fail, parseBoolean, parseReference, resolvePath, type InputSource } from './values.js'
import { readFields } from './list.js'
import { listInput } from './types.js'
import { parseSecretEnvs } from './secrets.js'
import { isRemoteContext, parseRemoteContext } from './context-url.js'

const CACHE_TYPES = ['registry', 'local', 'gha', 'inline', 's3', 'azblob'] as const

/** The Actions cache service as buildx finds it in its environment (it drops a gha entry without it). */
function hasActionsCache(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL))
}

/** One `cache-from`/`cache-to` entry: `user/app:cache` or `type=…,key=value…`. */
export function parseCacheEntry(input: 'cache-from' | 'cache-to', entry: string, env: NodeJS.ProcessEnv): string {
  const fields = readFields(input, entry)
  if (fields.every((f) => f.key === '')) {
    for (const f of fields) parseReference(input, f.value)
    return entry
  }
  const attrs = new Map<string, string>()
  for (const f of fields) {
    if (f.key === '')
      fail(
        input,
        entry,
        `"${f.value}" is not key=value; write type=registry,ref=user/app:cache, type=local,${input === 'cache-to' ? 'dest' : 'src'}=path, type=gha or a bare image reference`
      )
    attrs.set(f.key, f.value)
  }
  const type = attrs.get('type') ?? ''
  if (!(CACHE_TYPES as readonly string[]).includes(type)) fail(input, entry, `type must be one of ${CACHE_TYPES.join(', ')}`)
  if (type === 'registry' && !attrs.get('ref')) fail(input, entry, 'type=registry needs ref=IMAGE')
  if (type === 'registry') parseReference(input, attrs.get('ref') as string)
  if (type === 'local' && input === 'cache-from' && !attrs.get('src')) fail(input, entry, 'type=local needs src=DIRECTORY')
  if (type === 'local' && input === 'cache-to' && !attrs.get('dest')) fail(input, entry, 'type=local needs dest=DIRECTORY')
  if (type === 'inline' && input === 'cache-from') fail(input, entry, 'type=inline is a cache-to type; import inline cache with the image reference itself')
  const mode = attrs.get('mode')
  if (mode !== undefined && mode !== 'min' && mode !== 'max') fail(input, entry, 'mode must be min or max')
  if (type === 'gha' && !(attrs.get('url') && attrs.get('token')) && !hasActionsCache(env)) {
    fail(
      input,
      entry,
      'type=gha needs the Actions cache service (ACTIONS_RUNTIME_TOKEN with ACTIONS_CACHE_URL or ACTIONS_RESULTS_URL, which the runner gives to actions; buildx silently skips the entry without them); outside a workflow use type=local or type=registry'
    )
  }
  return entry
}

/** `provenance` or `sbom`: true, false or attributes (`mode=max`), as `--attest` values. */
function attestInput(type: 'provenance' | 'sbom', value: string, builderId: string | undefined): string | undefined {
  const v = value.trim()
  if (v === '') return undefined
  let bool: boolean | undefined
  try {
    bool = parseBoolean(type, v, false)
  } catch {
    bool = undefined
  }
  if (bool === false) return `type=${type},disabled=true`
  const attrs = bool === true ? [] : readFields(type, v)
  for (const a of attrs)
    if (a.key === '' || a.key === 'type')
      fail(type, v, `use true, false or attributes such as ${type === 'provenance' ? 'mode=max' : 'generator=IMAGE'} (key=value, separated by commas)`)
  const list = attrs.map((a) => `${a.key}=${a.value}`)
  if (type === 'provenance' && builderId && !attrs.some((a) => a.key === 'builder-id')) list.push(`builder-id=${builderId}`)
  return [`type=${type}`, ...list].join(',')
}

/**
 * The `--attest` values: `provenance` and `sbom` first, then `attests` (whose provenance or sbom
 * entry is left out when the dedicated input gives one), as docker/build-push-action orders them.
 */
export function parseAttestations(get: InputSource, env: NodeJS.ProcessEnv): string[] {
  const builderId =
    env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT || '1'}`
      : undefined
  const provenance = attestInput('provenance', get('provenance'), builderId)
  const sbom = attestInput('sbom', get('sbom'), builderId)
  const out = [provenance, sbom].filter((a): a is string => a !== undefined)
  for (const entry of listInput(get, 'attests')) {
    const fields = readFields('attests', entry)
    const type = fields.find((f) => f.key === 'type')?.value
    if (type !== 'provenance' && type !== 'sbom')
      fail('attests', entry, 'each entry needs type=provenance or type=sbom, then its attributes (type=sbom,generator=IMAGE)')
    if ((type === 'provenance' && provenance) || (type === 'sbom' && sbom)) continue
    const withId = type === 'provenance' && builderId && !fields.some((f) => f.key === 'builder-id') ? `${entry},builder-id=${builderId}` : entry
    out.push(withId)
  }
  return out
}

// `[type[platform]:]key=value`, the syntax of buildx --annotation.
const ANNOTATION = /^(?:([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?:)?(\S+)$/

export function parseAnnotation(entry: string): string {
  const eq = entry.indexOf('=')
  const m = ANNOTATION.exec(eq > 0 ? entry.slice(0, eq) : '')
  if (!m) fail('annotations', entry, 'use [manifest:]KEY=VALUE, one per line (for example manifest:org.opencontainers.image.description=My app)')
  const type = m[1] ?? ''
  if (type === 'index' || type === 'index-descriptor' || type === 'manifest-descriptor') {
    fail(
      'annotations',
      entry,
      `${type} annotations belong to the manifest list, which smokestack makes itself after the tests and does not annotate; use manifest: (the default) to annotate each platform's image`
    )
  }
  if (type !== '' && type !== 'manifest') fail('annotations', entry, 'the type is manifest (the default); index types are not supported')
  return entry
}

/** `ssh`: `default`, `ID`, `ID=SOCKET` or `ID=KEY` (paths relative to the workspace). */
export function parseSsh(entry: string, workspace: string): string {
  const [id, target] = entry.includes('=') ? [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] : [entry, '']
  if (!/^[A-Za-z0-9_.-]+$/.test(id))
    fail('ssh', entry, 'use default, or ID=PATH with PATH an ssh agent socket or a private key (ID of letters, digits, "_", "." or "-")')
  if (target === '') return entry
  return `${id}=${resolvePath('ssh', target, workspace, 'path')}`
}

/** `build-contexts`: NAME=VALUE, VALUE a directory, `docker-image://REF`, `oci-layout://DIR` or a Git URL. */
export function parseBuildContext(entry: string, workspace: string, env: NodeJS.ProcessEnv): string {
  const eq = entry.indexOf('=')
  const name = eq > 0 ? entry.slice(0, eq).trim() : ''
  const value = entry.slice(eq + 1).trim()
  if (!/^[A-Za-z0-9][A-Za-z0-9_.\-/:@]*$/.test(name) || value === '') {
    fail(
      'build-contexts',
      entry,
      'use NAME=VALUE, one per line: NAME the name a Dockerfile uses (FROM NAME, COPY --from=NAME), VALUE a directory, docker-image://IMAGE, oci-layout://DIRECTORY or a Git URL'
    )
  }
  if (value.startsWith('docker-image://')) return `${name}=docker-image://${parseReference('build-contexts', value.slice('docker-image://'.length))}`
  if (value.startsWith('oci-layout://')) {
    const [dir, ...at] = value.slice('oci-layout://'.length).split('@')
    return `${name}=oci-layout://${[resolvePath('build-contexts', dir, workspace, 'directory'), ...at].join('@')}`
  }
  if (isRemoteContext(value)) return `${name}=${parseRemoteContext('build-contexts', value, env)}`
  return `${name}=${resolvePath('build-contexts', value, workspace, 'directory')}`
}

// A size the engine reads (go-units RAMInBytes): 64m, 2g, 512MiB, bytes.
const RAM_SIZE = /^\d+(\.\d+)?\s?[kmgtp]?i?b?$/i
const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack'
]

export function parseUlimit(entry: string): string {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(entry)
  const ok = m && ULIMIT_NAMES.includes(m[1]) && (m[3] === undefined || Number(m[2]) <= Number(m[3]) || m[3] === '-1')
  if (!ok) fail('ulimit', entry, `use NAME=SOFT[:HARD] with SOFT at most HARD (-1 for unlimited), NAME one of ${ULIMIT_NAMES.join(', ')}`)
  return entry
}

export function parseAddHost(entry: string): string {
  const cut = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':')
  const host = entry.slice(0, cut)
  let ip = entry.slice(cut + 1)
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1)
  const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip.split('.').every((n) => Number(n) <= 255) : /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(':')
  if (cut <= 0 || !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host) || !(isIp || ip === 'host-gateway')) {
    fail('add-hosts', entry, 'use HOST:IP or HOST=IP (an IPv4 or IPv6 address, or host-gateway), separated by commas or newlines')
  }
  return entry
}

const ENTITLEMENTS = /^(network\.host|security\.insecure|device|device=\S+|fs|fs=\S+|fs\.read=\S+|fs\.write=\S+)$/

/** Every build option of the shared inputs, checked. */
export function parseBuildOptions(get: InputSource, workspace: string, env: NodeJS.ProcessEnv): BuildOptions {
  const one = (name: string, re: RegExp, accepted: string): string | undefined => {
    const v = get(name).trim()
    if (v !== '' && !re.test(v)) fail(name, v, accepted)
    return v || undefined
  }
  return {
    cacheFrom: listInput(get, 'cache-from').map((e) => parseCacheEntry('cache-from', e, env)),
    cacheTo: listInput(get, 'cache-to').map((e) => parseCacheEntry('cache-to', e, env)),
    attests: parseAttestations(get, env),
    annotations: listInput(get, 'annotations').map(parseAnnotation),
    ssh: listInput(get, 'ssh').map((e) => parseSsh(e, workspace)),
    secretEnvs: parseSecretEnvs('secret-envs', get('secret-envs')),
    buildContexts: listInput(get, 'build-contexts').map((e) => parseBuildContext(e, workspace, env)),
    pull: parseBoolean('pull', get('pull'), false),
    network: one('network', /^(default|none|host)$/, 'use default, none or host (the network of RUN instructions)'),
    addHosts: listInput(get, 'add-hosts').map(parseAddHost),
    allow: listInput(get, 'allow').map((e) => {
      if (!ENTITLEMENTS.test(e))
        fail('allow', e, 'use network.host or security.insecure (or, with a newer buildx, device or fs entitlements), separated by commas')
      return e
    }),
    shmSize: one('shm-size', RAM_SIZE, 'use a size such as 64m, 2g or 536870912 (bytes)'),
    ulimits: listInput(get, 'ulimit').map(parseUlimit),
    noCacheFilters: listInput(get, 'no-cache-filters').map((e) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(e)) fail('no-cache-filters', e, 'use build stage names, separated by commas or newlines')
      return e
    }),
    cgroupParent: one('cgroup-parent', /^[A-Za-z0-9_./:@-]+$/, 'use a cgroup path such as /actions_job or system.slice')
  }
}

/** Inputs of docker/build-push-action that smokestack refuses, and why. */
export function refuseUnsupported(get: InputSource): void {
  const refused: Record<string, string> = {
    outputs:
      'smokestack loads every platform into the engine to test it and publishes it itself (push, tags); to also export files, run docker buildx build --output in a later step',
    call: 'a build method such as check produces no image to test; run docker buildx build --call=check in its own step'
  }
  for (const [name, why] of Object.entries(refused)) {
    const v = get(name).trim()
    if (v !== '') fail(name, v, `not supported: ${why}`)
  }
}
