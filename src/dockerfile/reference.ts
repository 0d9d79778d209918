/**
 * Whether a FROM image, after substitution, is an image reference BuildKit accepts (the grammar of
 * distribution's reference package: `[host[:port]/]path[:tag][@digest]`). Only what is sure to fail is
 * refused; what merely looks damaged (a tag ending in `-`) is left to the advice.
 */
import { DockerfileError } from './errors.js'

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

/** Throws a DockerfileError naming the FROM line when `expanded` (from `written`) cannot be pulled. Names with variables left as written are not judged. */
export function checkReference(expanded: string, written: string, path: string, line: number): void {
  if (expanded.includes('$')) return
  const problem = referenceProblem(expanded)
  if (problem === undefined) return
  const shown = expanded === written ? `"${written}"` : `"${written}" expands to "${expanded}", which`
  throw new DockerfileError(
    `${path}:${line}: base image ${shown} is not a valid image reference: ${problem}.` +
      (expanded !== written ? ' Give the ARG a default or pass it as a build-arg.' : ''),
    path,
    line
  )
}
