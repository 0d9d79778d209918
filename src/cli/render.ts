/** What the terminal shows: the results table, the findings with their fixes, the verdict. Pure. */
import type { Finding } from '../types.js'
import type { RunReport } from '../report/outputs.js'
import { seconds, startText } from '../report/summary.js'
import { healthLogText } from '../verify/health.js'

export { seconds }
import { formatBytes, formatDelta } from '../size/units.js'

/** Colour only for a terminal, and never when NO_COLOR is set to anything non-empty. */
export function useColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && !env.NO_COLOR
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const
export type StyleName = keyof typeof CODES

/** Paints text, or returns it unchanged when colour is off. */
export type Paint = (style: StyleName, text: string) => string

export function painter(color: boolean): Paint {
  return (style, text) => (color ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text)
}

/** Length as shown: escape sequences take no room. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length
}

/** Lays out rows in columns two spaces apart; `right` marks the columns aligned right. */
export function layoutColumns(rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))))
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - visibleLength(cell))
        if (right.has(i)) return pad + cell
        return i === row.length - 1 ? cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  )
}


/** The results table: a row per platform. */
export function renderTable(report: RunReport, paint: Paint): string[] {
  const hasDelta = (report.deltas?.length ?? 0) > 0
  const header = ['Platform', 'Result', 'Disk size', 'Compressed', ...(hasDelta ? ['Change'] : []), 'Layers', 'Start', 'Build', 'Check']
  const rows = report.results.map((r) => {
    const d = report.deltas?.find((x) => x.platform === r.platform)
    const delta = !d ? '–' : d.change === 'added' ? 'new' : formatDelta(d.bytes, d.percent)
    const result = r.status === 'passed' ? paint('green', '✔ passed') : paint('red', '✘ failed')
    const start = r.smoke && !r.smoke.passed ? paint('red', startText(r)) : startText(r)
    return [
      r.platform,
      result,
      r.size === undefined ? '–' : formatBytes(r.size),
      r.compressedSize === undefined ? '–' : formatBytes(r.compressedSize),
      ...(hasDelta ? [delta] : []),
      r.layers === undefined ? '–' : String(r.layers),
      start,
      seconds(r.buildMs),
      seconds(r.checkMs)
    ]
  })
  const right = new Set(header.map((h, i) => (['Disk size', 'Compressed', 'Change', 'Layers', 'Build', 'Check'].includes(h) ? i : -1)))
  const [head, ...body] = layoutColumns([header, ...rows], right)
  return [paint('bold', head), ...body]
}

const SEVERITY_STYLE: Record<Finding['severity'], StyleName> = { error: 'red', warning: 'yellow', notice: 'cyan' }

/** One finding: severity and code, where, what is wrong; then the fix and the evidence, indented. */
export function renderFinding(f: Finding, paint: Paint, indent = '  '): string[] {
  const where = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : ''
  const lines = [`${indent}${paint(SEVERITY_STYLE[f.severity], f.severity)} ${paint('bold', f.code)}${where}: ${f.message}`]
  if (f.fix) lines.push(`${indent}  ${paint('green', 'fix:')} ${f.fix}`)
  if (f.evidence) lines.push(...f.evidence.split('\n').map((l) => `${indent}  ${paint('dim', l)}`))
  return lines
}

export interface ReportExtras {
  advice: Finding[]
  notes: string[]
}

/** Findings and fixes per platform, for the platforms that have something to say. */
export function renderDetails(report: RunReport, paint: Paint): string[] {
  const out: string[] = []
  for (const r of report.results) {
    const lines: string[] = []
    const runtime = r.smoke && !r.smoke.passed ? r.smoke.message : undefined
    // A start failure's error repeats the findings that explain it: then the runtime's words suffice.
    const explained = runtime !== undefined && r.error?.startsWith(runtime) && r.findings.some((f) => f.severity === 'error')
    if (r.error) lines.push(`  ${paint('red', 'error')} ${explained ? runtime : r.error}`)
    for (const f of r.findings) lines.push(...renderFinding(f, paint))
    if (r.smoke && !r.smoke.passed && r.smoke.outputTail?.trim() && r.smoke.outputTail.trim() !== runtime) {
      lines.push(`  ${paint('dim', 'output:')}`, ...r.smoke.outputTail.trimEnd().split('\n').map((l) => `    ${paint('dim', l)}`))
    }
    if (r.smoke && !r.smoke.passed && r.smoke.health?.log.length) {
      lines.push(`  ${paint('dim', 'health log (last probes):')}`, ...healthLogText(r.smoke.health.log).split('\n').map((l) => `    ${paint('dim', l)}`))
    }
    if (lines.length === 0) continue
    const mark = r.status === 'passed' ? paint('green', '✔') : paint('red', '✘')
    out.push('', `${mark} ${paint('bold', r.platform)}`, ...lines)
  }
  return out
}

/** The verdict line. */
export function renderVerdict(report: RunReport, paint: Paint): string {
  const failed = report.results.filter((r) => r.status === 'failed')
  const total = report.results.length
  if (failed.length === 0) {
    return paint('green', `✔ ${total}/${total} platform${total === 1 ? '' : 's'} passed`) + (report.digest ? ` · published ${report.digest}` : '')
  }
  return paint('red', `✘ ${failed.length} of ${total} platform${total === 1 ? '' : 's'} failed: ${failed.map((r) => r.platform).join(', ')}`)
}

/** Everything printed after a run: table, details, Dockerfile advice, notes, verdict. */
export function renderReport(report: RunReport, extras: ReportExtras, paint: Paint): string {
  const out = [...renderTable(report, paint), ...renderDetails(report, paint)]
  for (const d of report.deltas ?? []) if (d.change === 'removed') out.push('', `${d.platform}: in the baseline, not built now (removed)`)
  if (extras.advice.length) {
    out.push('', paint('bold', `Dockerfile advice (${extras.advice.length})`))
    for (const f of extras.advice) out.push(...renderFinding(f, paint))
  }
  if (extras.notes.length) out.push('', ...extras.notes.map((n) => paint('dim', n)))
  out.push('', renderVerdict(report, paint))
  return out.join('\n') + '\n'
}
