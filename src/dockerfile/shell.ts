/**
 * Just enough of a POSIX shell reader to see which programs a RUN script starts, with which
 * environment: splits on `&&`, `||`, `;`, `|`, `&`, newlines and subshell parentheses, honours
 * quotes, backslash-newline continuations and comments, and looks through `env`, `sudo`,
 * `time`, `exec`, `nohup` and `sh -c '…'`.
 */

/** One simple command of a shell script. */
export interface ShellCommand {
  /** Variables set for this command only (`NAME=value cmd`, `env NAME=value cmd`). */
  env: Record<string, string>
  /** The program and its arguments, quotes removed. Empty for a bare assignment. */
  argv: string[]
  /** Conditions it runs under (`if [ … ]; then`, `[ … ] && cmd`), outermost first; absent when it always runs. */
  guards?: Guard[]
}

/** A condition a command runs under: the test command (`[ "$X" = y ]`), and whether it must fail instead. */
export interface Guard {
  test: string[]
  negate: boolean
}

/** A simple command's words and the operator before it. */
interface RawCommand {
  words: string[]
  before: string
}

const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')'])
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'esac'])
const WRAPPERS = new Set(['time', 'exec', 'nohup', 'sudo', 'command'])
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh'])

/** Reads `script` into its simple commands, in order. */
export function parseShellCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = []
  for (const { words, guards } of withGuards(splitWords(script))) {
    for (const command of normalize(words)) {
      const all = [...guards, ...(command.guards ?? [])]
      commands.push(all.length > 0 ? { ...command, guards: all } : command)
    }
  }
  return commands
}

const TESTS = new Set(['[', '[[', 'test', 'true', 'false'])

/** The test a condition's words hold (`if ! [ … ]` negates it), or undefined when it is not a plain test. */
function conditionOf(words: string[]): Guard | undefined {
  const negate = words[0] === '!'
  const test = negate ? words.slice(1) : words
  return TESTS.has(test[0] ?? '') ? { test, negate } : undefined
}

const not = (g: Guard): Guard => ({ test: g.test, negate: !g.negate })

/**
 * Attaches to each command the conditions it runs under: if/elif/else branches (nested) and
 * `test && cmd` / `test || cmd`. A condition that is not a plain test is not known, and the
 * commands under it are taken to run (no guard).
 */
function withGuards(raw: RawCommand[]): Array<{ words: string[]; guards: Guard[] }> {
  type Frame = { conditions: Array<Guard | undefined>; current: Guard[] }
  const frames: Frame[] = []
  const out: Array<{ words: string[]; guards: Guard[] }> = []
  let chain: Guard[] = []
  let previous: Guard | undefined
  for (const { words, before } of raw) {
    if (before === '&&') chain = previous ? [...chain, previous] : chain
    else if (before === '||') chain = previous ? [...chain, not(previous)] : []
    else chain = []
    const first = words[0]
    const frame = frames.at(-1)
    if (first === 'if' || first === 'elif') {
      const condition = conditionOf(words.slice(1))
      if (first === 'if') frames.push({ conditions: [condition], current: [] })
      else if (frame) {
        frame.current = frame.conditions.flatMap((c) => (c ? [not(c)] : []))
        frame.conditions.push(condition)
      }
      out.push({ words, guards: [...frames.flatMap((f) => f.current), ...chain] })
      previous = undefined
      continue
    }
    if (first === 'case') {
      // Which arm runs depends on a word that is not decided here: every command inside is conditional.
      out.push({ words, guards: [...frames.flatMap((f) => f.current), ...chain] })
      frames.push({ conditions: [undefined], current: [{ test: ['case', ...words.slice(1, 2)], negate: false }] })
      previous = undefined
      continue
    }
    if (first === 'esac') {
      frames.pop()
    } else if (first === 'then' && frame) {
      const last = frame.conditions.at(-1)
      frame.current = [...frame.current, ...(last ? [last] : [])]
    } else if (first === 'else' && frame) {
      frame.current = frame.conditions.flatMap((c) => (c ? [not(c)] : []))
    } else if (first === 'fi') {
      frames.pop()
    }
    const branch = first === 'then' || first === 'else' || first === 'fi' || first === 'esac'
    out.push({ words, guards: [...frames.flatMap((f) => f.current), ...(branch ? [] : chain)] })
    const rest = first === 'then' || first === 'else' || first === 'do' ? words.slice(1) : words
    previous = conditionOf(rest)
  }
  return out
}

/** Basename of a program path: `/usr/local/go/bin/go` → `go`. */
export function programName(argv: string[]): string {
  const first = argv[0] ?? ''
  return first.slice(first.lastIndexOf('/') + 1)
}

/** Splits a script into the word lists of its simple commands. */
function splitWords(script: string): RawCommand[] {
  const result: RawCommand[] = []
  let words: string[] = []
  let word: string | null = null
  let before = ''
  const endWord = (): void => {
    if (word !== null) words.push(word)
    word = null
  }
  const endCommand = (operator: string): void => {
    endWord()
    if (words.length > 0) {
      result.push({ words, before })
      before = operator
    } else if (operator === '\n' || operator === ';') {
      before = before === '&&' || before === '||' ? before : operator
    } else {
      before = operator
    }
    words = []
  }
  let i = 0
  const n = script.length
  while (i < n) {
    const ch = script[i]
    if (ch === '\\') {
      const next = script[i + 1]
      if (next === '\n') i += 2
      else if (next === '\r' && script[i + 2] === '\n') i += 3
      else {
        word = (word ?? '') + (next ?? '')
        i += 2
      }
      continue
    }
    if (ch === "'") {
      const close = script.indexOf("'", i + 1)
      const end = close < 0 ? n : close
      word = (word ?? '') + script.slice(i + 1, end)
      i = end + 1
      continue
    }
    if (ch === '"') {
      let j = i + 1
      let text = ''
      while (j < n && script[j] !== '"') {
        if (script[j] === '\\' && j + 1 < n && '"\\$`\n'.includes(script[j + 1])) {
          if (script[j + 1] !== '\n') text += script[j + 1]
          j += 2
        } else {
          text += script[j]
          j += 1
        }
      }
      word = (word ?? '') + text
      i = j + 1
      continue
    }
    if (ch === '$' && script[i + 1] === '(') {
      const end = matchingParen(script, i + 1)
      word = (word ?? '') + script.slice(i, end + 1)
      i = end + 1
      continue
    }
    if (ch === '`') {
      const close = script.indexOf('`', i + 1)
      const end = close < 0 ? n : close
      word = (word ?? '') + script.slice(i, end + 1)
      i = end + 1
      continue
    }
    if (ch === '#' && word === null) {
      while (i < n && script[i] !== '\n') i += 1
      continue
    }
    if (ch === '\n') {
      endCommand('\n')
      i += 1
      continue
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      endWord()
      i += 1
      continue
    }
    // `2>&1`, `&>file`, `>|` are redirections, not command separators.
    const redirection = (ch === '&' && (script[i - 1] === '>' || script[i + 1] === '>')) || (ch === '|' && script[i - 1] === '>')
    if (OPERATOR_CHARS.has(ch) && !redirection) {
      const doubled = (ch === '&' || ch === '|') && script[i + 1] === ch
      endCommand(doubled ? ch + ch : ch)
      i += doubled ? 2 : 1
      continue
    }
    word = (word ?? '') + ch
    i += 1
  }
  endCommand('')
  return result
}

function matchingParen(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth += 1
    else if (text[i] === ')') {
      depth -= 1
      if (depth === 0) return i
    }
  }
  return text.length - 1
}

/** The commands an exec-form RUN (`["sh", "-c", "…"]` or `["go", "build"]`) starts. */
export function commandsFromWords(words: string[]): ShellCommand[] {
  return normalize(words)
}

/** Separates leading assignments and looks through wrappers and `sh -c`. */
function normalize(words: string[]): ShellCommand[] {
  const env: Record<string, string> = {}
  let i = 0
  for (;;) {
    const word = words[i]
    if (word === undefined) break
    const assignment = ASSIGNMENT.exec(word)
    if (assignment) {
      env[assignment[1]] = assignment[2]
      i += 1
    } else if (RESERVED.has(word) || WRAPPERS.has(word)) {
      i += 1
    } else if (word === 'env' || word === '/usr/bin/env') {
      i += 1
      while (words[i]?.startsWith('-')) i += 1
    } else {
      break
    }
  }
  const argv = words.slice(i)
  if (argv.length === 0 && Object.keys(env).length === 0) return []
  const program = programName(argv)
  if (SHELLS.has(program)) {
    const flagIndex = argv.findIndex((w, k) => k > 0 && /^-[a-z]*c[a-z]*$/.test(w))
    const inner = flagIndex > 0 ? argv[flagIndex + 1] : undefined
    if (inner !== undefined) {
      return parseShellCommands(inner).map((command) => ({ ...command, env: { ...env, ...command.env } }))
    }
  }
  return [{ env, argv }]
}
