/**
 * Image references, in one place: the grammar of the distribution project (`[host[:port]/]path[:tag][@digest]`)
 * with the reason a text is not one, and the parts a registry client needs — the registry host, the repository
 * path on it, the tag, the digest. Pure.
 */

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN = /^(?:localhost|\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/
/** Longer than any real reference; refused before any pattern runs on it. */
const MAX_LENGTH = 1024

/** Why `reference` is not a valid image reference, or undefined when it is one. */
export function referenceProblem(reference: string): string | undefined {
  if (reference.length > MAX_LENGTH) return `longer than ${MAX_LENGTH} characters`
  if (/\s/.test(reference)) return 'it contains white space'
  const at = reference.indexOf('@')
  const named = at < 0 ? reference : reference.slice(0, at)
  if (at >= 0 && !DIGEST.test(reference.slice(at + 1))) return `"${reference.slice(at + 1)}" is not a digest (algorithm:hex)`
  const slash = named.lastIndexOf('/')
  const colon = named.lastIndexOf(':')
  const tag = colon > slash ? named.slice(colon + 1) : undefined
  const name = colon > slash ? named.slice(0, colon) : named
  if (tag !== undefined && tag === '') return 'the tag after ":" is empty'
  if (tag !== undefined && !TAG.test(tag)) return `"${tag}" is not a valid tag (letters, digits, "_", "." and "-", at most 128)`
  if (name === '') return 'the repository name is empty'
  const components = name.split('/')
  const first = components[0]
  const hasDomain = components.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())
  if (hasDomain && !DOMAIN.test(first)) return `"${first}" is not a valid registry host`
  for (const component of hasDomain ? components.slice(1) : components) {
    if (component === '') return 'it has an empty path component ("//", or "/" at an end)'
    if (component !== component.toLowerCase()) return 'the repository name must be lowercase'
    if (!PATH_COMPONENT.test(component)) return `"${component}" is not a valid path component (lowercase letters, digits and single separators)`
  }
  return undefined
}

export const DOCKER_HUB = 'docker.io'

export interface ImageReference {
  /** The name as written, without tag and digest (`alpine`, `ghcr.io/o/app`). */
  name: string
  /** The registry as written (`ghcr.io`, `127.0.0.1:5000`), or `docker.io`. */
  registry: string
  /** The repository path on that registry, `library/` added for Docker Hub's official images. */
  path: string
  tag?: string
  digest?: string
}

/** Whether the first component of a name is a registry host: it has a `.` or a `:`, is `localhost`, or is not lower-case. */
function isDomain(first: string, hasMore: boolean): boolean {
  return hasMore && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())
}

/** Parses a reference; undefined when it is not one (see {@link referenceProblem} for why). */
export function parseImageRef(value: string): ImageReference | undefined {
  if (referenceProblem(value) !== undefined) return undefined
  const at = value.indexOf('@')
  const named = at < 0 ? value : value.slice(0, at)
  const slash = named.lastIndexOf('/')
  const colon = named.lastIndexOf(':')
  const name = colon > slash ? named.slice(0, colon) : named
  if (name.length > 255) return undefined
  const [first, ...rest] = name.split('/')
  const domain = isDomain(first, rest.length > 0)
  const registry = domain ? first : DOCKER_HUB
  const parts = domain ? rest : [first, ...rest]
  const path = registry === DOCKER_HUB && parts.length === 1 ? `library/${parts[0]}` : parts.join('/')
  return { name, registry, path, tag: colon > slash ? named.slice(colon + 1) : undefined, digest: at < 0 ? undefined : value.slice(at + 1) }
}

/**
 * The parts of a reference that may not be one yet (Dockerfile text, variables in it): the path without the
 * registry, the last component, the tag. Lower-cased; never fails.
 */
export function looseImageParts(reference: string): { path: string; name: string; tag?: string } {
  const withoutDigest = reference.split('@')[0].toLowerCase()
  const slash = withoutDigest.lastIndexOf('/')
  const colon = withoutDigest.lastIndexOf(':')
  const tag = colon > slash ? withoutDigest.slice(colon + 1) : undefined
  let path = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest
  const segments = path.split('/')
  if (segments.length > 1 && /[.:]|^localhost$/.test(segments[0])) path = segments.slice(1).join('/')
  const name = path.slice(path.lastIndexOf('/') + 1)
  return { path, name, ...(tag !== undefined && { tag }) }
}

export function isImageReference(value: string): boolean {
  return parseImageRef(value) !== undefined
}

/** The repository a reference names, as `registry/path` (Docker Hub's as `docker.io/library/x`). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.path}`
}

/** The tag, `latest` when the reference names none (and no digest). */
export function tagOf(ref: ImageReference): string {
  return ref.tag ?? 'latest'
}

/** Two references name the same image tag (`app:v1` and `docker.io/library/app:v1` do). */
export function sameTag(a: string, b: string): boolean {
  const pa = parseImageRef(a)
  const pb = parseImageRef(b)
  if (!pa || !pb) return a === b
  return repositoryName(pa).toLowerCase() === repositoryName(pb).toLowerCase() && tagOf(pa) === tagOf(pb) && pa.digest === pb.digest
}

/** Where a reference's repository lives: its registry (Docker Hub as `docker.io`), its path there, and the API host. */
export function registryOf(ref: string): { domain: string; path: string; apiHost: string } {
  const parsed = parseImageRef(ref)
  if (!parsed) throw new Error(`${ref} is not an image reference`)
  const domain = parsed.registry === 'index.docker.io' ? DOCKER_HUB : parsed.registry
  const path = domain === DOCKER_HUB && !parsed.path.includes('/') ? `library/${parsed.path}` : parsed.path
  return { domain, path, apiHost: domain === DOCKER_HUB ? 'registry-1.docker.io' : domain }
}
