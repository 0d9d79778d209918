/** Live progress per platform on stderr while the pipeline works. */
import type { PlatformOutcome } from '../pipeline/outcomes.js'
import { STEP_ORDER, type Step } from '../pipeline/reporter.js'
import { platformVerdict } from '../pipeline/status.js'
import { seconds, type Paint } from './render.js'

const STEP_TEXT: Record<Step, string> = {
  build: 'building',
  check: 'looking inside and starting',
  test: 'testing',
  size: 'measuring'
}

/** What a platform is doing now, e.g. `linux/arm64 looking inside and starting`. Pure. */
export function stepText(platform: string, steps: ReadonlySet<Step>, paint: Paint): string {
  const doing = STEP_ORDER.filter((s) => steps.has(s)).map((s) => STEP_TEXT[s])
  return `${paint('bold', platform)}  ${doing.join(', ')}…`
}

/** A platform's line once it is done, e.g. `linux/amd64  ✔ passed (build 1.2 s, check 0.4 s)`. Pure. */
export function doneText(outcome: PlatformOutcome, paint: Paint, sizeGated = false): string {
  const verdict = platformVerdict(outcome, { sizeGated }).status === 'passed' ? paint('green', '✔ passed') : paint('red', '✘ failed')
  const times = [`build ${seconds(outcome.build.durationMs)}`, outcome.check ? `check ${seconds(outcome.check.durationMs)}` : ''].filter(Boolean)
  return `${paint('bold', outcome.platform)}  ${verdict}${paint('dim', ` (${times.join(', ')})`)}`
}

/**
 * Writes progress to a stream. On a terminal one status line, naming what each platform is doing, is redrawn in
 * place with the time spent so far; elsewhere (a pipe, a CI log, --verbose) each change is a line of its own.
 */
export class Progress {
  private readonly active = new Map<string, Set<Step>>()
  private phase = ''
  private status = ''
  private since = Date.now()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly live: boolean,
    private readonly paint: Paint
  ) {}

  /** A phase before the platforms (engine, Dockerfile, QEMU) or after them (publish). */
  step(title: string): void {
    this.phase = title
    if (this.live) this.redraw()
  }

  started(platform: string, step: Step): void {
    const steps = this.active.get(platform) ?? new Set<Step>()
    steps.add(step)
    this.active.set(platform, steps)
    if (this.live) this.redraw()
    else this.stream.write(`${stepText(platform, new Set([step]), this.paint)}\n`)
  }

  finished(platform: string, step: Step): void {
    this.active.get(platform)?.delete(step)
    if (this.live) this.redraw()
  }

  done(outcome: PlatformOutcome, sizeGated = false): void {
    this.active.delete(outcome.platform)
    this.clear()
    this.stream.write(`${doneText(outcome, this.paint, sizeGated)}\n`)
    if (this.live) this.redraw()
  }

  /** Removes the status line (before other output, and at the end). */
  clear(): void {
    if (this.live && this.status) this.stream.write('\r\x1b[2K')
    this.status = ''
  }

  /** Stops redrawing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.clear()
  }

  private text(): string {
    const platforms = [...this.active].filter(([, steps]) => steps.size > 0)
    if (platforms.length === 0) return this.phase ? this.paint('dim', `${this.phase}…`) : ''
    return platforms.map(([p, steps]) => stepText(p, steps, this.paint)).join(this.paint('dim', ' · '))
  }

  private redraw(): void {
    const text = this.text()
    if (text !== this.status) {
      this.status = text
      this.since = Date.now()
    }
    if (!text) return
    this.stream.write(`\r\x1b[2K${text}${this.paint('dim', ` ${Math.floor((Date.now() - this.since) / 1000)} s`)}`)
    if (!this.timer) {
      this.timer = setInterval(() => this.status && this.redraw(), 1000)
      this.timer.unref()
    }
  }
}
