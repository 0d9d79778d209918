/**
 * The pipeline's own log (what @actions/core writes to stdout: `::group::` lines, infos, warnings)
 * kept out of the terminal: captured, shown live only with --verbose, and its tail on failure.
 */

/** Undoes the escaping of workflow command data (`%0A`, `%0D`, `%25`). */
function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * A log line as a person reads it: workflow commands become plain text, commands that are not
 * for people (masks, state, outputs) are dropped (undefined). Debug lines are kept only when asked.
 */
export function readableLogLine(line: string, options: { debug: boolean }): string | undefined {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
  if (!command) return line
  const [, name, data] = command
  const text = unescapeData(data)
  switch (name) {
    case 'group':
      return `── ${text}`
    case 'endgroup':
      return undefined
    case 'error':
    case 'warning':
    case 'notice':
      return `${name}: ${text}`
    case 'debug':
      return options.debug ? text : undefined
    default:
      // add-mask (a secret), save-state, set-output, echo, stop-commands: never shown.
      return undefined
  }
}

type Write = typeof process.stdout.write

/** Captures what is written to process.stdout, line by line, until restored. */
export class StdoutCapture {
  private readonly lines: string[] = []
  private partial = ''
  private original: Write | undefined

  constructor(
    /** Called with each complete line as it is written. */
    private readonly onLine: (line: string) => void = () => undefined,
    /** Lines kept for the tail. */
    private readonly keep = 2000
  ) {}

  start(): void {
    if (this.original) return
    this.original = process.stdout.write
    const capture = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      this.take(text)
      const done = typeof encoding === 'function' ? encoding : callback
      if (typeof done === 'function') process.nextTick(done as () => void)
      return true
    }
    process.stdout.write = capture as Write
  }

  /** Puts process.stdout back; a last unfinished line is kept. */
  restore(): void {
    if (!this.original) return
    process.stdout.write = this.original
    this.original = undefined
    if (this.partial) this.push(this.partial)
    this.partial = ''
  }

  /** The last `count` lines captured. */
  tail(count: number): string[] {
    return this.lines.slice(-count)
  }

  private take(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/)
    this.partial = parts.pop() ?? ''
    for (const line of parts) this.push(line)
  }

  private push(line: string): void {
    this.lines.push(line)
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep)
    this.onLine(line)
  }
}
