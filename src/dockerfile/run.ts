/** The shell commands of a RUN instruction (exec form, shell form, heredoc scripts) and what they persist. */
import type { Run } from 'dockerfile-ast'
import { parseShellCommands, commandsFromWords, type ShellCommand } from './shell.js'

const HEREDOC_START = /<<-?\s*(["']?)[A-Za-z0-9_.-]+\1/g
const SHELL_PROGRAMS = /^(\/bin\/|\/usr\/bin\/)?(sh|bash|ash|dash|zsh)$/

/** The commands of a RUN: exec form, shell form with continuations, or a heredoc script. */
export function readRunCommands(run: Run, sourceLines: string[]): ShellCommand[] {
  const json = run.getJSONStrings()
  if (json.length > 0 && run.getRawArgumentsContent()?.trim().startsWith('[')) {
    return commandsFromWords(json.map((s) => s.getJSONValue()))
  }
  const args = run.getArguments()
  const heredocs = run.getHeredocs()
  if (heredocs.length === 0) return parseShellCommands(args.map((a) => a.getValue()).join(' '))

  const bodyStart = Math.min(...heredocs.map((h) => (h.getContentRange() ?? h.getNameRange()).start.line))
  const head = args
    .filter((a) => a.getRange().start.line < bodyStart)
    .map((a) => a.getValue())
    .join(' ')
    .replace(HEREDOC_START, ' ')
    .trim()
  const headWords = head.split(/\s+/).filter(Boolean)
  const isScript = headWords.length === 0 || (SHELL_PROGRAMS.test(headWords[0]) && !headWords.includes('-c'))
  if (!isScript) return parseShellCommands(head)
  const script = heredocs
    .map((h) => {
      const range = h.getContentRange()
      return range ? sourceLines.slice(range.start.line, range.end.line + 1).join('\n') : ''
    })
    .join('\n')
  return parseShellCommands(script)
}

/** `go env -w NAME=value` persists across RUNs. */
export function goEnvWrites(commands: ShellCommand[]): Record<string, string> {
  const writes: Record<string, string> = {}
  for (const { argv } of commands) {
    const program = argv[0]?.slice(argv[0].lastIndexOf('/') + 1)
    if (program !== 'go' || argv[1] !== 'env' || !argv.includes('-w')) continue
    for (const word of argv.slice(2)) {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word)
      if (match) writes[match[1]] = match[2]
    }
  }
  return writes
}
