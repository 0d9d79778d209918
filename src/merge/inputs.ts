/**
 * The merge's inputs (merge/action.yml, and `smokestack merge`), read and validated before anything else, with
 * the same messages as the build's inputs: the input, the bad value, what is accepted.
 */
import { InputError, parseKeyValues, parsePlatforms, parseReference, resolvePath, type InputSource } from '../inputs/values.js'
import { readList } from '../inputs/list.js'
import { parseImageRef } from '../docker/reference.js'

export interface MergeInputs {
  records: string
  tags: string[]
  platforms: string[]
  annotations: Record<string, string>
  /** The commit every record must come from (`commit`, else GITHUB_SHA); undefined when neither is set. */
  commit?: string
}

function refuse(input: string, value: string, accepted: string): never {
  throw new InputError(input, `Input "${input}": ${JSON.stringify(value)} is not valid; ${accepted}`)
}

/**
 * Annotation lines as docker/metadata-action writes them may name their level (`index:key=value`): the list's
 * own are kept without the prefix; another level is refused, since the merge writes only the list.
 */
function indexAnnotations(text: string): string[] {
  return readList('annotations', text, { ignoreComma: true }).map((line) => {
    const level = /^([a-z-]+)(?:\[[^\]]*\])?:(?=[a-z0-9])/.exec(line)
    if (!level) return line
    if (level[1] !== 'index')
      refuse(
        'annotations',
        line,
        'the merge annotates the list itself: give KEY=VALUE or index:KEY=VALUE (with docker/metadata-action, set DOCKER_METADATA_ANNOTATIONS_LEVELS=index)'
      )
    return line.slice(level[0].length)
  })
}

export function parseMergeInputs(get: InputSource, workspace: string, vars: Readonly<Record<string, string | undefined>>): MergeInputs {
  if (!get('records').trim())
    throw new InputError('records', 'Input "records": empty; give the directory the platform records were downloaded to (actions/download-artifact\'s path)')
  const records = resolvePath('records', get('records').trim(), workspace, 'directory')
  const tags = readList('tags', get('tags')).map((t) => parseReference('tags', t))
  if (tags.length === 0) throw new InputError('tags', 'Input "tags": empty; give at least one image reference to publish the list to')
  for (const t of tags) if (parseImageRef(t)?.digest) refuse('tags', t, 'give tags to publish to, not digests')
  const platforms = parsePlatforms('platforms', readList('platforms', get('platforms')))
  if (platforms.length === 0)
    throw new InputError(
      'platforms',
      'Input "platforms": empty; list every platform the list must hold (the matrix\'s platforms), so that a missing one blocks the merge'
    )
  const annotations = parseKeyValues('annotations', indexAnnotations(get('annotations')))
  for (const key of Object.keys(annotations))
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(key))
      refuse('annotations', key, 'use annotation keys such as org.opencontainers.image.source (lower-case, dot-separated)')
  const commitText = get('commit').trim() || vars.GITHUB_SHA?.trim() || ''
  if (commitText && !/^[0-9a-fA-F]{7,64}$|^[\w.-]{1,128}$/.test(commitText)) refuse('commit', commitText, 'use a commit SHA')
  return { records, tags, platforms, annotations, commit: commitText || undefined }
}
