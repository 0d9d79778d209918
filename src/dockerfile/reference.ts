/**
 * Whether a FROM image, after substitution, is an image reference BuildKit accepts (the grammar of
 * distribution's reference package: `[host[:port]/]path[:tag][@digest]`). Only what is sure to fail is
 * refused; what merely looks damaged (a tag ending in `-`) is left to the advice.
 */
import { referenceProblem } from '../docker/reference.js'
import { DockerfileError } from './errors.js'

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
