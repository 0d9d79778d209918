/**
 * List inputs in the syntax of docker/build-push-action, so its users' workflows read the same:
 * each line is a CSV record (double quotes group, a quoted field may span lines, `""` is a quote).
 * A `List` input takes one item per line (a record's commas are part of the item); a `List/CSV`
 * input also splits on commas. Items are trimmed unless asked not to, and empty items dropped.
 */
import { parse } from 'csv-parse/sync'
import { InputError } from './values.js'

export interface ListSyntax {
  /** One item per record: commas are kept in the item (a `List` input). */
  ignoreComma?: boolean
  /** Keep each item's surrounding whitespace (secret values). */
  keepWhitespace?: boolean
  /** The value may be secret: a syntax error never quotes it. */
  secret?: boolean
}

function records(input: string, value: string, syntax: ListSyntax): string[][] {
  try {
    return parse(value, { columns: false, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][]
  } catch (e) {
    const line = (e as { lines?: number }).lines
    const where = line ? ` (line ${line})` : ''
    const what = syntax.secret ? 'the value is not shown' : JSON.stringify(value)
    throw new InputError(input, `Input "${input}": a double quote is not closed${where}; ${what}. Close it, or write "" for a quote inside a quoted item`)
  }
}

/** The items of a list input. */
export function readList(input: string, value: string, syntax: ListSyntax = {}): string[] {
  if (value === '') return []
  const items: string[] = []
  for (const record of records(input, value, syntax)) {
    if (syntax.ignoreComma) items.push(record.join(','))
    // (as docker/actions-toolkit does: a lone field is split even when it was quoted)
    else if (record.length === 1) items.push(...record[0].split(','))
    else items.push(...record)
  }
  return items.map((item) => (syntax.keepWhitespace ? item : item.trim())).filter((item) => item.trim() !== '')
}

/**
 * The `key=value` fields of one item such as `type=local,dest=/tmp/cache` (CSV: a field with a
 * comma is quoted). A field without `=` has an empty key and the whole field as its value.
 */
export function readFields(input: string, item: string): { key: string; value: string }[] {
  const [fields = []] = records(input, item, {})
  return fields.map((field) => {
    const eq = field.indexOf('=')
    return eq < 0 ? { key: '', value: field.trim() } : { key: field.slice(0, eq).trim().toLowerCase(), value: field.slice(eq + 1).trim() }
  })
}
