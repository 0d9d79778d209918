/**
 * The pipeline's reporter on the Actions runner: phases as log groups, one group per platform and step, printed
 * in platform order however the steps interleave, messages through @actions/core, secrets masked.
 */
import * as core from '@actions/core'
import type { Finding } from '../types.js'
import { STEP_ORDER, STEP_TITLES, type Reporter, type Step } from '../pipeline/reporter.js'
import type { PlatformOutcome } from '../pipeline/outcomes.js'
import { annotationFor } from '../report/annotations.js'
import { printable } from '../report/quote.js'
import { maskLines } from '../inputs/secrets.js'

export function annotate(f: Finding, workspace: string): void {
  const { message, props } = annotationFor(f, workspace)
  if (f.severity === 'error') core.error(message, props)
  else if (f.severity === 'warning') core.warning(message, props)
  else core.notice(message, props)
}

interface Pending {
  groups: { step: Step; lines: readonly string[] }[]
  done: boolean
}

export class ActionsReporter implements Reporter {
  private readonly order: string[] = []
  private readonly pending = new Map<string, Pending>()
  private printed = 0

  constructor(private readonly workspace: string) {}

  phase<T>(title: string, work: () => Promise<T>): Promise<T> {
    return core.group(title, work)
  }
  info(message: string): void {
    core.info(printable(message))
  }
  warning(message: string): void {
    core.warning(printable(message))
  }
  debug(message: string): void {
    // The runner shows debug lines only when step debugging is on: without it they would only fill the log.
    if (core.isDebug()) core.debug(printable(message))
  }
  secret(value: string): void {
    for (const line of maskLines(value)) core.setSecret(line)
  }
  advice(findings: readonly Finding[]): void {
    for (const f of findings) annotate(f, this.workspace)
  }
  stepStarted(platform: string): void {
    if (!this.pending.has(platform)) {
      this.order.push(platform)
      this.pending.set(platform, { groups: [], done: false })
    }
  }
  stepFinished(platform: string, step: Step, log: readonly string[]): void {
    this.stepStarted(platform)
    this.pending.get(platform)!.groups.push({ step, lines: log })
  }
  platformDone(outcome: PlatformOutcome): void {
    this.stepStarted(outcome.platform)
    this.pending.get(outcome.platform)!.done = true
    this.flush(false)
  }

  /** Prints the groups of the platforms that are done, in platform order; with `all`, whatever is left too. */
  flush(all: boolean): void {
    while (this.printed < this.order.length) {
      const p = this.pending.get(this.order[this.printed])!
      if (!p.done && !all) return
      const groups = [...p.groups].sort((a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step))
      for (const g of groups) {
        core.startGroup(`${this.order[this.printed]}: ${STEP_TITLES[g.step]}`)
        for (const line of g.lines) core.info(printable(line))
        core.endGroup()
      }
      this.printed++
    }
  }
}
