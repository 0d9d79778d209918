/** What the terminal shows: the results table, the findings with their fixes, the verdict. A rendering of the report model. Pure. */
import type { Finding } from '../types.js'
import { failureOutput, seconds, startText, verdictLine, type RunReport } from '../report/model.js'
import { printable } from '../report/quote.js'
import { formatBytes, formatDelta } from '../size/units.js'
import { explanationText } from '../verify/explain.js'
import { healthLogText } from '../verify/health.js'

import { layoutColumns, type Paint, type StyleName } from './paint.js'

export { seconds }
export { layoutColumns, painter, useColor, visibleLength, type Paint, type StyleName } from './paint.js'

/** The results table: a row per platform. */
export function renderTable(report: RunReport, paint: Paint): string[] {
  const hasDelta = report.deltas.length > 0
  const header = ['Platform', 'Result', 'Disk size', 'Compressed', ...(hasDelta ? ['Change'] : []), 'Layers', 'Start', 'Build', 'Check']
  const rows = report.platforms.map((p) => {
    const d = p.delta
    const delta = !d ? '–' : d.change === 'added' ? 'new' : formatDelta(d.bytes, d.percent)
    const result = p.status === 'passed' ? paint('green', '✔ passed') : paint('red', '✘ failed')
    const start = p.start && !p.start.passed ? paint('red', startText(p.start)) : startText(p.start)
    return [
      p.platform,
      result,
      p.size === undefined ? '–' : formatBytes(p.size),
      p.compressedSize === undefined ? '–' : formatBytes(p.compressedSize),
      ...(hasDelta ? [delta] : []),
      p.layers === undefined ? '–' : String(p.layers),
      start,
      seconds(p.buildMs),
      seconds(p.checkMs)
    ]
  })
  const right = new Set(header.map((h, i) => (['Disk size', 'Compressed', 'Change', 'Layers', 'Build', 'Check'].includes(h) ? i : -1)))
  const [head, ...body] = layoutColumns([header, ...rows], right)
  return [paint('bold', head), ...body]
}

const SEVERITY_STYLE: Record<Finding['severity'], StyleName> = { error: 'red', warning: 'yellow', notice: 'cyan' }

/** One finding: severity and code, where, what is wrong; then the fix and the evidence, indented. */
export function renderFinding(f: Finding, paint: Paint, indent = '  '): string[] {
  const where = f.file ? ` ${printable(f.file)}${f.line ? `:${f.line}` : ''}` : ''
  const lines = [`${indent}${paint(SEVERITY_STYLE[f.severity], f.severity)} ${paint('bold', f.code)}${where}: ${printable(f.message)}`]
  if (f.fix) lines.push(`${indent}  ${paint('green', 'fix:')} ${printable(f.fix)}`)
  if (f.evidence)
    lines.push(
      ...printable(f.evidence)
        .split('\n')
        .map((l) => `${indent}  ${paint('dim', l)}`)
    )
  return lines
}

/** Findings and fixes per platform, for the platforms that have something to say. */
export function renderDetails(report: RunReport, paint: Paint): string[] {
  const out: string[] = []
  for (const p of report.platforms) {
    const lines: string[] = []
    const r = p.reason
    // A start failure explained by a finding: the runtime's words, then the finding with its fix.
    if (r?.kind === 'start-failed')
      lines.push(`  ${paint('red', 'error')} ${printable(r.explanation.cause ? r.message : `${r.message}: ${explanationText(r.explanation)}`)}`)
    else if (r && r.kind !== 'finding' && r.kind !== 'budget') lines.push(`  ${paint('red', 'error')} ${printable(p.headline ?? '')}`)
    for (const f of p.findings) lines.push(...renderFinding(f, paint))
    const output = failureOutput(p)
    if (output)
      lines.push(
        `  ${paint('dim', 'output:')}`,
        ...printable(output)
          .trimEnd()
          .split('\n')
          .map((l) => `    ${paint('dim', l)}`)
      )
    if (r?.kind === 'build' && r.logTail)
      lines.push(
        `  ${paint('dim', 'build log:')}`,
        ...printable(r.logTail)
          .split('\n')
          .slice(-15)
          .map((l) => `    ${paint('dim', l)}`)
      )
    if (p.start && !p.start.passed && p.start.health?.log.length) {
      lines.push(
        `  ${paint('dim', 'health log (last probes):')}`,
        ...printable(healthLogText(p.start.health.log))
          .split('\n')
          .map((l) => `    ${paint('dim', l)}`)
      )
    }
    if (lines.length === 0) continue
    const mark = p.status === 'passed' ? paint('green', '✔') : paint('red', '✘')
    out.push('', `${mark} ${paint('bold', p.platform)}`, ...lines)
  }
  return out
}

/** The verdict line. */
export function renderVerdict(report: RunReport, paint: Paint): string {
  return report.passed ? paint('green', `✔ ${printable(verdictLine(report))}`) : paint('red', `✘ ${printable(verdictLine(report))}`)
}

/** Everything printed after a run: table, details, Dockerfile advice, notes, verdict. */
export function renderReport(report: RunReport, paint: Paint): string {
  const out = [...renderTable(report, paint), ...renderDetails(report, paint)]
  for (const d of report.deltas) if (d.change === 'removed') out.push('', `${d.platform}: in the baseline, not built now (removed)`)
  const pub = report.publish
  if (pub && !pub.ok) {
    out.push('', paint('red', `Publishing failed: ${printable(pub.error ?? '')}`))
    out.push(pub.published.length ? `Published before it stopped: ${pub.published.join(', ')}` : 'Nothing was published.')
    if (pub.restored.length) out.push(`Put back as they were: ${pub.restored.join(', ')}`)
  }
  if (report.advice.length) {
    out.push('', paint('bold', `Dockerfile advice (${report.advice.length})`))
    for (const f of report.advice) out.push(...renderFinding(f, paint))
  }
  if (report.notes.length) out.push('', ...report.notes.map((n) => paint('dim', printable(n))))
  out.push('', renderVerdict(report, paint))
  return out.join('\n') + '\n'
}
