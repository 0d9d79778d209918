/**
 * Dockerfile variable substitution (`$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`,
 * `${VAR:+word}`, `${VAR+word}`, `${VAR#prefix}`, `${VAR%suffix}`, `${VAR/pattern/replacement}`,
 * `${VAR//pattern/replacement}`), as BuildKit applies it to instructions such as FROM and as the
 * shell applies it inside RUN. Patterns are matched in linear time (glob.ts).
 */
import { replacePattern, trimPrefix, trimSuffix } from './glob.js'

/** Returns a variable's value, or `undefined` when it is not defined. */
export type VariableLookup = (name: string) => string | undefined

export interface ExpandOptions {
  /** The Dockerfile escape character (`\` unless `# escape=` says otherwise). */
  escapeChar?: string
  /**
   * Undefined variables for which this returns true are left as written (e.g. the automatic
   * platform arguments, whose value depends on the platform being built); all other undefined
   * variables expand to the empty string.
   */
  keepUndefined?: (name: string) => boolean
}

/** Nesting deeper than this (`${A:-${B:-…}}`) is left as written: no real Dockerfile comes close. */
export const MAX_NESTING = 32

const NAME_START = /[A-Za-z_]/
const NAME_CHAR = /[A-Za-z0-9_]/

/** Substitutes variables in `text`. */
export function expandVariables(text: string, lookup: VariableLookup, options: ExpandOptions = {}): string {
  return expandAt(text, lookup, options, 0)
}

function expandAt(text: string, lookup: VariableLookup, options: ExpandOptions, depth: number): string {
  if (depth > MAX_NESTING) return text
  const escapeChar = options.escapeChar ?? '\\'
  const keepUndefined = options.keepUndefined ?? (() => false)
  let out = ''
  let i = 0
  while (i < text.length) {
    const ch = text[i]
    if (ch === escapeChar && text[i + 1] === '$') {
      out += '$'
      i += 2
      continue
    }
    if (ch !== '$') {
      out += ch
      i += 1
      continue
    }
    const next = text[i + 1]
    if (next === '{') {
      const close = findClosingBrace(text, i + 2)
      if (close < 0) {
        out += text.slice(i)
        break
      }
      const original = text.slice(i, close + 1)
      out += expandBraced(text.slice(i + 2, close), original, lookup, options, keepUndefined, depth)
      i = close + 1
      continue
    }
    if (next !== undefined && NAME_START.test(next)) {
      let end = i + 2
      while (end < text.length && NAME_CHAR.test(text[end])) end += 1
      const name = text.slice(i + 1, end)
      const value = lookup(name)
      out += value ?? (keepUndefined(name) ? text.slice(i, end) : '')
      i = end
      continue
    }
    out += ch
    i += 1
  }
  return out
}

function findClosingBrace(text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth += 1
    else if (text[i] === '}') {
      depth -= 1
      if (depth === 0) return i
    }
  }
  return -1
}

function expandBraced(
  body: string,
  original: string,
  lookup: VariableLookup,
  options: ExpandOptions,
  keepUndefined: (name: string) => boolean,
  depth: number
): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-+]|##?|%%?|\/\/?)?([\s\S]*)$/.exec(body)
  if (!match) return original
  const [, name, operator, word] = match
  const value = lookup(name)
  const expandWord = (): string => expandAt(word, lookup, options, depth + 1)
  switch (operator) {
    case undefined:
      return value ?? (keepUndefined(name) ? original : '')
    case ':-':
      return value ? value : value === undefined && keepUndefined(name) ? original : expandWord()
    case '-':
      return value !== undefined ? value : keepUndefined(name) ? original : expandWord()
    case ':+':
      return value ? expandWord() : value === undefined && keepUndefined(name) ? original : ''
    case '+':
      return value !== undefined ? expandWord() : keepUndefined(name) ? original : ''
    case '/':
    case '//': {
      if (value === undefined && keepUndefined(name)) return original
      const slash = unescapedSlash(word)
      // BuildKit refuses `${VAR/pattern}` without the second `/`; it is left as written.
      if (slash < 0) return original
      const pattern = expandAt(word.slice(0, slash), lookup, options, depth + 1)
      const replacement = expandAt(word.slice(slash + 1), lookup, options, depth + 1)
      return replacePattern(value ?? '', pattern, replacement, operator === '//')
    }
    default: {
      if (value === undefined) return keepUndefined(name) ? original : ''
      const longest = operator.length === 2
      return operator.startsWith('#') ? trimPrefix(value, expandWord(), longest) : trimSuffix(value, expandWord(), longest)
    }
  }
}

/** Index of the first `/` in `word` that is neither escaped nor inside a nested `${…}`, or -1. */
function unescapedSlash(word: string): number {
  let depth = 0
  for (let i = 0; i < word.length; i++) {
    const c = word[i]
    if (c === '\\') i += 1
    else if (c === '$' && word[i + 1] === '{') {
      depth += 1
      i += 1
    } else if (c === '}' && depth > 0) depth -= 1
    else if (c === '/' && depth === 0) return i
  }
  return -1
}
