/**
 * Image references, in one place: the grammar of the distribution project (`[host[:port]/]path[:tag][@digest]`),
 * and the parts a registry client needs — the registry host, the repository path on it, the tag, the digest.
 * Pure.
 */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`)

export const DOCKER_HUB = 'docker.io'

export interface ImageReference {
  /** The registry as written (`ghcr.io`, `127.0.0.1:5000`), or `docker.io`. */
  registry: string
  /** The repository path on that registry, `library/` added for Docker Hub's official images. */
  path: string
  tag?: string
  digest?: string
}

/** Whether the first component of a name is a registry host: it has a `.` or a `:`, or is `localhost`. */
function isDomain(first: string, hasMore: boolean): boolean {
  return hasMore && (/[.:]/.test(first) || first === 'localhost' || first.startsWith('['))
}

/** Parses a reference; undefined when it is not one. */
export function parseImageRef(value: string): ImageReference | undefined {
  const m = REFERENCE.exec(value)
  if (m === null || m[1].length > 255) return undefined
  const [first, ...rest] = m[1].split('/')
  const domain = isDomain(first, rest.length > 0)
  // Like the engine: a first component that is not a domain is a path, and paths are lower-case.
  if (!domain && !/^[a-z0-9._-]+$/.test(first)) return undefined
  const registry = domain ? first : DOCKER_HUB
  const parts = domain ? rest : [first, ...rest]
  const path = registry === DOCKER_HUB && parts.length === 1 ? `library/${parts[0]}` : parts.join('/')
  return { registry, path, tag: m[2], digest: m[3] }
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
