/** Live progress per platform on stderr while the pipeline works. */
import type { Phase } from '../main.js'
import type { PlatformResult } from '../types.js'
import { seconds, type Paint } from './render.js'

const PHASE_TEXT: Record<Exclude<Phase, 'done'>, string> = {
  building: 'building',
  checking: 'looking inside and starting',
  sizing: 'measuring'
}

/** One platform's progress line, e.g. `linux/arm64  checking (built in 41.2 s)`. Pure. */
export function progressText(platform: string, phase: Phase, result: PlatformResult, paint: Paint): string {
  if (phase === 'done') {
    const verdict = result.status === 'passed' ? paint('green', '✔ passed') : paint('red', '✘ failed')
    const times = [result.buildMs !== undefined ? `build ${seconds(result.buildMs)}` : '', result.checkMs !== undefined ? `check ${seconds(result.checkMs)}` : ''].filter(Boolean)
    return `${paint('bold', platform)}  ${verdict}${times.length ? paint('dim', ` (${times.join(', ')})`) : ''}`
  }
  const built = phase !== 'building' && result.buildMs !== undefined ? paint('dim', ` (built in ${seconds(result.buildMs)})`) : ''
  return `${paint('bold', platform)}  ${PHASE_TEXT[phase]}…${built}`
}

/**
 * Writes progress to a stream. On a terminal one status line is redrawn in place with the time
 * spent so far; elsewhere (a pipe, a CI log, --verbose) each change is a line of its own.
 */
export class Progress {
  private status = ''
  private since = Date.now()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly live: boolean,
    private readonly paint: Paint
  ) {}

  /** A step before the platforms (engine, Dockerfile, QEMU) or after them (publish). */
  step(title: string): void {
    if (this.live) this.redraw(this.paint('dim', `${title}…`))
  }

  platform(platform: string, phase: Phase, result: PlatformResult): void {
    const text = progressText(platform, phase, result, this.paint)
    if (!this.live) {
      this.stream.write(`${text}\n`)
      return
    }
    if (phase === 'done') {
      this.clear()
      this.stream.write(`${text}\n`)
    } else {
      this.redraw(text)
    }
  }

  /** Removes the status line (before other output, and at the end). */
  clear(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (this.live && this.status) this.stream.write('\r\x1b[2K')
    this.status = ''
  }

  private redraw(text: string): void {
    if (text !== this.status) {
      this.status = text
      this.since = Date.now()
    }
    this.stream.write(`\r\x1b[2K${text}${this.paint('dim', ` ${Math.floor((Date.now() - this.since) / 1000)} s`)}`)
    if (!this.timer) {
      this.timer = setInterval(() => this.status && this.redraw(this.status), 1000)
      this.timer.unref()
    }
  }
}
