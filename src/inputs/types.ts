/**
 * The type of every input: how its text is read (a list's syntax comes from here) and what the
 * README's input table shows. One row per input of action.yml; a unit test keeps the two equal.
 */
import type { InputSource } from './values.js'
import { readList } from './list.js'

/**
 * `List`: one item per line (CSV quoting, commas kept); `List/CSV`: items separated by newlines
 * or commas; `Bool/String`: true, false or attributes; `Duration`: `10s`, `2m`; `Size`: `20MB`.
 */
export type InputType = 'Bool' | 'String' | 'List' | 'List/CSV' | 'Bool/String' | 'Duration' | 'Size' | 'Enum'

export const INPUT_TYPES: Readonly<Record<string, InputType>> = {
  context: 'String',
  file: 'String',
  target: 'String',
  platforms: 'List/CSV',
  'build-args': 'List',
  labels: 'List',
  tags: 'List/CSV',
  push: 'Bool/String',
  builder: 'String',
  'no-cache': 'Bool',
  'setup-qemu': 'Enum',
  'qemu-image': 'String',
  smoke: 'Bool',
  'smoke-args': 'String',
  'smoke-timeout': 'Duration',
  'smoke-exit-codes': 'List/CSV',
  'smoke-health': 'Enum',
  'smoke-probe': 'List',
  'probe-image': 'String',
  'ignore-advice': 'List/CSV',
  'record-dir': 'String',
  'smoke-network': 'String',
  'smoke-run-args': 'List',
  'max-size': 'Size',
  'size-metric': 'Enum',
  'compare-to': 'String',
  'max-growth': 'String',
  'fail-on-advice': 'Bool',
  cache: 'Enum',
  'cache-key': 'String',
  'cache-timeout': 'Duration',
  secrets: 'List',
  'secret-files': 'List',
  'secret-envs': 'List/CSV',
  'cache-from': 'List',
  'cache-to': 'List',
  provenance: 'Bool/String',
  sbom: 'Bool/String',
  attests: 'List',
  annotations: 'List',
  ssh: 'List/CSV',
  'build-contexts': 'List',
  pull: 'Bool',
  network: 'String',
  'add-hosts': 'List/CSV',
  allow: 'List/CSV',
  'shm-size': 'String',
  ulimit: 'List',
  'no-cache-filters': 'List/CSV',
  'cgroup-parent': 'String',
  load: 'Bool',
  'github-token': 'String',
  'test-command': 'String',
  outputs: 'List',
  call: 'String'
}

/** The types of the merge action's inputs (merge/action.yml). */
export const MERGE_INPUT_TYPES: Readonly<Record<string, InputType>> = {
  records: 'String',
  tags: 'List/CSV',
  platforms: 'List/CSV',
  annotations: 'List',
  commit: 'String'
}

/** Reads a list input in the syntax its type names. */
export function listInput(get: InputSource, name: string, options: { keepWhitespace?: boolean; secret?: boolean } = {}): string[] {
  const type = INPUT_TYPES[name]
  if (type !== 'List' && type !== 'List/CSV') throw new Error(`${name} is not a list input`)
  return readList(name, get(name), { ignoreComma: type === 'List', ...options })
}
