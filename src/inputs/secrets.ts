/**
 * Build secrets: `secrets` (id=value), `secret-files` (id=path) and `secret-envs` (id=VARIABLE),
 * in docker/build-push-action's syntax: one entry per line, CSV quoting, so a multi-line value
 * such as a PEM key is one quoted entry ("id=line1
 * line2"). Nothing here ever quotes a secret entry in an error: an entry is named by its position,
 * because an unquoted multi-line value turns its second line into what looks like an id.
 */
import { InputError } from './values.js'
import { readList } from './list.js'

export interface Secret {
  id: string
  value: string
}

const ID = /^[A-Za-z0-9_.-]+$/

/**
 * Shortest text registered as a mask. The log is masked by plain substring: a mask of one or two
 * characters (`=`, `}`) would turn every such character in the log into `***`.
 */
export const MIN_MASK_LENGTH = 4

/** An error naming the entry by its position; `shown` quotes it when it holds nothing secret. */
function entryError(input: string, index: number, why: string, shown?: string): InputError {
  const what = shown === undefined ? 'the entry is not shown' : `it reads ${JSON.stringify(shown)}`
  return new InputError(input, `Input "${input}": entry ${index + 1} ${why}; ${what}`)
}

/** `id=rest` entries; `rest` must not be empty. */
function splitEntries(input: string, entries: string[], what: string, secret: boolean): Secret[] {
  return entries.map((entry, i) => {
    const eq = entry.indexOf('=')
    const id = eq > 0 ? entry.slice(0, eq).trim() : ''
    const shown = secret ? undefined : entry
    if (!ID.test(id)) throw entryError(input, i, `is not id=${what} (id of letters, digits, "_", "." or "-")`, shown)
    const value = entry.slice(eq + 1)
    if (value === '') throw entryError(input, i, `has an empty ${what}`, shown)
    return { id, value }
  })
}

/** The lines of a value worth masking: each line long enough that masking it cannot garble the log. */
export function maskLines(value: string): string[] {
  const lines = value.split(/\r?\n/).flatMap((l) => [l, l.trim()])
  return [...new Set(lines.filter((l) => l.length >= MIN_MASK_LENGTH))]
}

/**
 * `secrets`: id=value entries. A value must have at least MIN_MASK_LENGTH characters on one of
 * its lines, or it could not be masked in the log; a value of one line must have that many in
 * all (an unquoted second line of a PEM key, `SECOND==`, reads as id `SECOND`, value `=`).
 */
export function parseSecrets(input: string, value: string): Secret[] {
  const secrets = splitEntries(input, readList(input, value, { ignoreComma: true, keepWhitespace: true, secret: true }), 'value', true)
  secrets.forEach((s, i) => {
    const multiLine = /\r?\n/.test(s.value)
    if ((!multiLine && s.value.trim().length < MIN_MASK_LENGTH) || maskLines(s.value).length === 0) {
      throw entryError(
        input,
        i,
        `has a value shorter than ${MIN_MASK_LENGTH} characters, which cannot be masked in the log; if it is a line of the entry above (a multi-line value such as a key), quote that whole entry, from "id= to the end of its last line"`
      )
    }
  })
  return secrets
}

/** `secret-files`: id=path entries (paths are resolved by the caller). */
export function parseSecretFiles(input: string, value: string): { id: string; path: string }[] {
  return splitEntries(input, readList(input, value, { ignoreComma: true }), 'path', false).map(({ id, value: p }) => ({ id, path: p.trim() }))
}

/** `secret-envs`: id=VARIABLE entries, read by buildx from its environment (`--secret id=…,env=…`). */
export function parseSecretEnvs(input: string, value: string): { id: string; env: string }[] {
  return splitEntries(input, readList(input, value), 'VARIABLE', false).map(({ id, value: env }, i) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env))
      throw entryError(input, i, 'names no environment variable (letters, digits and "_", not starting with a digit)', `${id}=${env}`)
    return { id, env }
  })
}
