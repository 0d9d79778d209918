/**
 * The pipeline's reporter on a terminal: live progress on stderr, the log kept out of the way (shown as it
 * comes with --verbose, its last lines after a failure), secrets redacted from anything printed.
 */
import type { Finding } from '../types.js'
import type { PlatformOutcome } from '../pipeline/outcomes.js'
import { STEP_TITLES, type Reporter, type Step } from '../pipeline/reporter.js'
import { printable } from '../report/quote.js'
import { maskLines } from '../inputs/secrets.js'
import type { Progress } from './progress.js'
import type { Paint } from './render.js'

/** Log lines kept for the tail shown after a failure. */
const KEEP_LINES = 2000

export class CliReporter implements Reporter {
  private readonly lines: string[] = []
  private readonly secrets: string[] = []

  constructor(
    private readonly progress: Progress,
    private readonly say: (line: string) => void,
    private readonly options: { verbose: boolean; paint: Paint; sizeGated: boolean }
  ) {}

  /** Replaces every secret value in `text`. */
  redact(text: string): string {
    let out = printable(text)
    for (const s of this.secrets) out = out.split(s).join('***')
    return out
  }

  private log(line: string, show: boolean): void {
    const text = this.redact(line)
    this.lines.push(text)
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES)
    if (show) {
      this.progress.clear()
      this.say(this.options.paint('dim', text))
    }
  }

  async phase<T>(title: string, work: () => Promise<T>): Promise<T> {
    this.progress.step(title)
    this.log(`── ${title}`, this.options.verbose)
    return work()
  }
  info(message: string): void {
    this.log(message, this.options.verbose)
  }
  warning(message: string): void {
    this.log(`warning: ${message}`, this.options.verbose)
  }
  debug(message: string): void {
    this.log(message, this.options.verbose)
  }
  secret(value: string): void {
    this.secrets.push(...maskLines(value))
    this.secrets.sort((a, b) => b.length - a.length)
  }
  advice(_findings: readonly Finding[]): void {
    // Shown with the results, after the run.
  }
  stepStarted(platform: string, step: Step): void {
    this.progress.started(platform, step)
  }
  stepFinished(platform: string, step: Step, log: readonly string[]): void {
    this.progress.finished(platform, step)
    this.log(`── ${platform}: ${STEP_TITLES[step]}`, this.options.verbose)
    for (const line of log) this.log(line, this.options.verbose)
  }
  platformDone(outcome: PlatformOutcome): void {
    this.progress.done(outcome, this.options.sizeGated)
  }

  /** The last `count` lines of the log. */
  tail(count: number): string[] {
    return this.lines.filter((l) => l.trim() !== '').slice(-count)
  }
}
