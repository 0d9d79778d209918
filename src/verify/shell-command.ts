/**
 * What a `sh -c` script starts, when that can be known without running it. Only a simple command is
 * read: optional `NAME=value` assignments, optionally `exec`, then the program and its arguments —
 * words of literal characters, quotes and `$NAME` / `${NAME}` the image's ENV defines. Anything else
 * (`;`, `&&`, `|`, redirections, `$(…)`, backquotes, keywords, builtins, a PATH assignment, a
 * variable or glob in the program's name) is `unknown`: the shell runs it, and the start decides.
 * Arguments after the program may hold what cannot be resolved, since they cannot change which
 * program runs. Pure and bounded.
 */

export type ShellCommand = { kind: 'simple'; program: string; viaExec: boolean } | { kind: 'unknown'; reason: string }

/** Scripts longer than this are not read. */
const MAX_SCRIPT = 8192

const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  'function',
  'select',
  '!',
  '{',
  '}',
  '[[',
  ']]',
  'time',
  'coproc'
])
/** Builtins of POSIX sh, bash and busybox ash: no program of the image runs. */
const BUILTINS = new Set([
  ':',
  '.',
  'source',
  'eval',
  'exit',
  'return',
  'break',
  'continue',
  'export',
  'readonly',
  'local',
  'set',
  'unset',
  'shift',
  'cd',
  'pwd',
  'echo',
  'printf',
  'test',
  '[',
  'true',
  'false',
  'read',
  'trap',
  'ulimit',
  'umask',
  'wait',
  'alias',
  'unalias',
  'command',
  'type',
  'hash',
  'getopts',
  'times',
  'jobs',
  'fg',
  'bg',
  'kill',
  'let',
  'declare',
  'typeset',
  'builtin',
  'enable',
  'shopt'
])

interface Word {
  text: string
  /** False once quotes or an expansion took part: such a word is no keyword or builtin. */
  literal: boolean
  /** How many leading characters are plain, unquoted text (an assignment's name and `=` must be). */
  plain: number
  /** Something in the word could not be resolved (a variable, a glob, `~`). */
  unresolved?: string
  /** An unquoted expansion that may split into several words or vanish. */
  splits?: boolean
}

type Lex = { ok: true; words: Word[] } | { ok: false; reason: string }

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/

/** Split the script into words, refusing what makes it more than a simple command. */
function lex(script: string, env: (name: string) => string | undefined): Lex {
  const words: Word[] = []
  let cur: Word | undefined
  const word = (): Word => (cur ??= { text: '', literal: true, plain: 0 })
  const expand = (name: string, quoted: boolean): string | undefined => {
    const value = env(name)
    const w = word()
    w.literal = false
    if (value === undefined) w.unresolved ??= `$${name} is not set in the image`
    else if (!quoted && (value === '' || /[\s*?[]/.test(value))) w.splits = true
    return value
  }
  /** A `$…` at `i`; returns the index after it, or a reason it is not simple. */
  const dollar = (i: number, quoted: boolean): number | string => {
    const rest = script.slice(i + 1)
    if (rest.startsWith('(')) return 'a command substitution `$(…)`'
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest)
    const plain = NAME.exec(rest)
    const name = braced?.[1] ?? plain?.[0]
    if (!name) return rest.startsWith('{') ? 'a `${…}` expansion with an operator' : 'a special parameter (`$1`, `$@`, `$?` …)'
    word().text += expand(name, quoted) ?? ''
    return i + 1 + (braced ? braced[0].length : name.length)
  }
  for (let i = 0; i < script.length;) {
    const c = script[i]!
    if (c === ' ' || c === '\t') {
      if (cur) words.push(cur)
      cur = undefined
      i++
    } else if (c === '#' && !cur) {
      break
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1)
      if (end < 0) return { ok: false, reason: 'an unterminated quote' }
      const w = word()
      w.text += script.slice(i + 1, end)
      w.literal = false
      i = end + 1
    } else if (c === '"') {
      const w = word()
      w.literal = false
      let j = i + 1
      for (; j < script.length && script[j] !== '"';) {
        const d = script[j]!
        if (d === '`' || d === '\\') return { ok: false, reason: d === '`' ? 'a command substitution in backquotes' : 'a backslash escape' }
        if (d === '$') {
          const next = dollar(j, true)
          if (typeof next === 'string') return { ok: false, reason: next }
          j = next
        } else {
          w.text += d
          j++
        }
      }
      if (j >= script.length) return { ok: false, reason: 'an unterminated quote' }
      i = j + 1
    } else if (c === '$') {
      const next = dollar(i, false)
      if (typeof next === 'string') return { ok: false, reason: next }
      i = next
    } else if (';&|<>()'.includes(c)) {
      return { ok: false, reason: c === '<' || c === '>' ? 'a redirection' : `more than one command (\`${c}\`)` }
    } else if (c === '`' || c === '\\' || c === '\n' || c === '\r') {
      return { ok: false, reason: c === '`' ? 'a command substitution in backquotes' : c === '\\' ? 'a backslash escape' : 'more than one line' }
    } else {
      const w = word()
      if ('*?[{}'.includes(c) || (c === '~' && w.text === '')) w.unresolved ??= `\`${c}\` is expanded by the shell`
      w.text += c
      if (w.literal) w.plain = w.text.length
      i++
    }
  }
  if (cur) words.push(cur)
  return { ok: true, words }
}

/** What `script` (the argument of `sh -c`) starts; `env` reads the image's ENV. */
export function shellCommand(script: string, env: (name: string) => string | undefined): ShellCommand {
  const trimmed = script.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')
  if (trimmed.length > MAX_SCRIPT) return { kind: 'unknown', reason: 'the script is too long to read' }
  const lexed = lex(trimmed, env)
  if (!lexed.ok) return { kind: 'unknown', reason: lexed.reason }
  const words = lexed.words
  let i = 0
  for (; i < words.length; i++) {
    const name = ASSIGNMENT.exec(words[i]!.text.slice(0, words[i]!.plain))?.[1]
    if (!name) break
    if (name === 'PATH') return { kind: 'unknown', reason: 'it changes PATH' }
  }
  let viaExec = false
  if (words[i]?.literal && words[i]!.text === 'exec') {
    viaExec = true
    i++
    const next = words[i]
    if (!next) return { kind: 'unknown', reason: '`exec` without a command' }
    if (next.text.startsWith('-') || ASSIGNMENT.test(next.text)) return { kind: 'unknown', reason: '`exec` with options' }
  }
  const program = words[i]
  if (!program) return { kind: 'unknown', reason: 'no command' }
  if (program.unresolved) return { kind: 'unknown', reason: program.unresolved }
  if (program.splits) return { kind: 'unknown', reason: 'the program name comes from an expansion that may split' }
  if (program.text === '') return { kind: 'unknown', reason: 'an empty program name' }
  if (program.literal && KEYWORDS.has(program.text)) return { kind: 'unknown', reason: `the shell keyword \`${program.text}\`` }
  if (!viaExec && BUILTINS.has(program.text)) return { kind: 'unknown', reason: `the shell builtin \`${program.text}\`` }
  return { kind: 'simple', program: program.text, viaExec }
}

/**
 * The script a shell's argument vector runs with `-c`, or undefined when it is not `-c` or the
 * options may change what PATH holds (`-l`, `-i`: the shell reads profiles first).
 */
export function shellScript(argv: readonly string[]): string | undefined {
  let i = 1
  let script = false
  for (; i < argv.length && /^[-+][A-Za-z]+$/.test(argv[i]!); i++) {
    const flags = argv[i]!.slice(1)
    if (/[liO]/.test(flags) || (flags.includes('o') && flags.length > 1)) return undefined
    if (flags === 'o') i++
    if (flags.includes('c')) script = true
  }
  if (argv[i] === '--') i++
  return script ? argv[i] : undefined
}
