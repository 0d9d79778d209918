/**
 * Whether a shell command can run, given the conditions it stands under and the variables known
 * for its RUN. Only plain tests on known values are decided (`[ "$X" = y ]`, `test -n "$X"`,
 * `true`, `false`); anything else may go either way, and the command is taken to run.
 */
import type { RunStep } from './parse.js'
import type { Guard, ShellCommand } from './shell.js'
import { expandVariables } from './variables.js'

/** true, false, or undefined when it cannot be told from the Dockerfile. */
function evaluate(test: string[], variables: Record<string, string>): boolean | undefined {
  const words = test.map((w) => expandVariables(w, (name) => variables[name], { keepUndefined: () => true }))
  if (words.some((w) => w.includes('$') || w.includes('`'))) return undefined
  const [program, ...rest] = words
  if (program === 'true') return rest.length === 0 ? true : undefined
  if (program === 'false') return rest.length === 0 ? false : undefined
  let args = rest
  if (program === '[') {
    if (args.at(-1) !== ']') return undefined
    args = args.slice(0, -1)
  } else if (program === '[[') {
    if (args.at(-1) !== ']]') return undefined
    args = args.slice(0, -1)
    // [[ a == pattern ]] matches globs; leave those undecided.
    if (args.some((a) => /[*?[]/.test(a))) return undefined
  }
  if (args.length === 1) return args[0] !== ''
  if (args.length === 2 && args[0] === '-n') return args[1] !== ''
  if (args.length === 2 && args[0] === '-z') return args[1] === ''
  if (args.length === 3 && (args[1] === '=' || args[1] === '==')) return args[0] === args[2]
  if (args.length === 3 && args[1] === '!=') return args[0] !== args[2]
  return undefined
}

function holds(guard: Guard, variables: Record<string, string>): boolean {
  const result = evaluate(guard.test, variables)
  return result === undefined || result !== guard.negate
}

/** What the shell of a RUN sees: its variables, and its ARGs declared without a value as empty. */
function shellValues(run: RunStep): Record<string, string> {
  return { ...Object.fromEntries(run.unsetArgs.map((name) => [name, ''])), ...run.variables }
}

/** False only when one of the command's conditions is known not to hold. */
export function mayRun(command: ShellCommand, run: RunStep): boolean {
  const values = shellValues(run)
  return (command.guards ?? []).every((g) => holds(g, values))
}

/** True only when every condition of the command is known to hold (no condition, or decided ones). */
export function surelyRuns(command: ShellCommand, run: RunStep): boolean {
  const values = shellValues(run)
  return (command.guards ?? []).every((g) => {
    const result = evaluate(g.test, values)
    return result !== undefined && result !== g.negate
  })
}
