/**
 * The job summary: the verdict, one table with a row per platform, then each platform's details. A rendering
 * of the report model; every piece of untrusted text is quoted (quote.ts). Pure: returns Markdown/HTML.
 */
import type { Finding } from '../types.js'
import { formatBytes, formatDelta } from '../size/units.js'
import { explanationText } from '../verify/explain.js'
import { failureOutput, seconds, startText, verdictLine, type PlatformReport, type RunReport } from './model.js'
import { codeBlock, escapeHtml, inlineMarkdown } from './quote.js'
import { healthLogText } from '../verify/health.js'

const ICON: Record<string, string> = { passed: '✅', failed: '❌' }

function findingLine(f: Finding): string {
  const where = f.file ? ` <code>${escapeHtml(`${f.file}${f.line ? `:${f.line}` : ''}`)}</code>` : ''
  const icon = f.severity === 'error' ? '❌' : f.severity === 'warning' ? '⚠️' : 'ℹ️'
  return `- ${icon} **${f.code}**${where}: ${inlineMarkdown(f.message)}${f.fix ? `<br>Fix: ${inlineMarkdown(f.fix)}` : ''}${f.evidence ? `<br><sub>${inlineMarkdown(f.evidence)}</sub>` : ''}`
}

function deltaCell(p: PlatformReport): string {
  const d = p.delta
  return !d ? '–' : d.change === 'added' ? 'new' : formatDelta(d.bytes, d.percent)
}

/** The failure's headline: for a start failure, the runtime's words, then the finding that explains them. */
function headline(p: PlatformReport): string[] {
  const r = p.reason
  if (!r) return []
  switch (r.kind) {
    case 'start-failed':
      if (r.explanation.cause) return [`- ❌ The runtime said ${inlineMarkdown(`\`${r.message}\``)}; the cause:`]
      return [`- ❌ ${inlineMarkdown(explanationText(r.explanation))}`]
    case 'crashed':
      return [`- ❌ Runtime: ${inlineMarkdown(`\`${r.message}\``)}`]
    case 'build':
      return [`- ❌ ${inlineMarkdown(`build failed: ${r.message}`)}`]
    case 'test':
      return [`- ❌ ${inlineMarkdown(r.message)}`]
    case 'check-error':
    case 'unmeasured':
    case 'record':
      return [`- ❌ ${inlineMarkdown(r.message)}`]
    case 'finding':
    case 'budget':
      return [] // the finding itself is listed
  }
}

function details(p: PlatformReport): string[] {
  const out = [...headline(p), ...p.findings.map(findingLine)]
  const output = failureOutput(p)
  if (output) out.push('', 'Last lines of its output:', '', codeBlock(output))
  if (p.start && !p.start.passed && p.start.health?.log.length) out.push('', 'Health log (last probes):', '', codeBlock(healthLogText(p.start.health.log)))
  if (p.reason?.kind === 'build' && p.reason.logTail) out.push('', 'Last lines of the build log:', '', codeBlock(p.reason.logTail))
  if (p.largestLayers.length) {
    out.push('', '| Largest layers | Created by |', '|---:|---|')
    for (const l of p.largestLayers) out.push(`| ${formatBytes(l.size)} | ${inlineMarkdown(`\`${l.createdBy.slice(0, 160)}\``)} |`)
  }
  return out
}

export function renderSummary(report: RunReport, title = 'smokestack'): string {
  const verdict = `${report.passed ? '✅' : '❌'} ${inlineMarkdown(verdictLine(report))}`
  const out: string[] = [`## ${title}`, '', `**${verdict}**`, '']
  const hasDelta = report.deltas.length > 0
  out.push(`| Platform | Result | Disk size | Compressed |${hasDelta ? ' Change |' : ''} Layers | Start | Build | Check |`)
  out.push(`|---|---|---:|---:|${hasDelta ? '---:|' : ''}---:|---|---:|---:|`)
  for (const p of report.platforms) {
    const size = (n?: number): string => (n === undefined ? '–' : formatBytes(n))
    out.push(
      `| \`${p.platform}\` | ${ICON[p.status]} ${p.status} | ${size(p.size)} | ${size(p.compressedSize)} |${hasDelta ? ` ${deltaCell(p)} |` : ''} ${p.layers ?? '–'} | ${startText(p.start)} | ${seconds(p.buildMs)} | ${seconds(p.checkMs)} |`
    )
  }
  for (const d of report.deltas) if (d.change === 'removed') out.push(`\n_${d.platform}: in the baseline, not built now (removed)._`)
  out.push('')
  for (const p of report.platforms) {
    const lines = details(p)
    if (lines.length === 0) continue
    out.push(
      `<details${p.status === 'failed' ? ' open' : ''}><summary>${ICON[p.status]} ${escapeHtml(p.platform)}</summary>`,
      '',
      ...lines,
      '',
      '</details>',
      ''
    )
  }
  if (report.publish) out.push(...publishLines(report), '')
  if (report.advice.length) {
    out.push(`<details><summary>⚠️ Dockerfile advice (${report.advice.length})</summary>`, '', ...report.advice.map(findingLine), '', '</details>', '')
  }
  for (const n of report.notes) out.push(`_${inlineMarkdown(n)}_`, '')
  return out.join('\n')
}

function publishLines(report: RunReport): string[] {
  const p = report.publish!
  if (p.ok && p.byDigest) {
    const each = Object.entries(p.platformDigests).map(([platform, digest]) => `<code>${escapeHtml(platform)}</code> <code>${escapeHtml(digest)}</code>`)
    return [`Pushed by digest to <code>${escapeHtml(p.byDigest)}</code>, no tag: ${each.join(', ')}.`]
  }
  if (p.ok) return [`Published ${p.published.map((t) => `<code>${escapeHtml(t)}</code>`).join(', ')} as <code>${escapeHtml(p.digest ?? '')}</code>.`]
  const lines = [`**❌ Publishing failed:** ${inlineMarkdown(p.error ?? 'unknown error')}`]
  lines.push(
    p.published.length ? `Published before it stopped: ${p.published.map((t) => `<code>${escapeHtml(t)}</code>`).join(', ')}.` : 'Nothing was published.'
  )
  if (p.restored.length) lines.push(`Put back as they were: ${p.restored.map((t) => `<code>${escapeHtml(t)}</code>`).join(', ')}.`)
  return lines
}
