/** The job summary: one table, a row per platform, then the details. Pure: returns Markdown/HTML. */
import type { Finding, PlatformResult } from '../types.js'
import { formatBytes, formatDelta } from '../size/units.js'
import type { RunReport } from './outputs.js'
import { healthLogText } from '../verify/health.js'

const ICON: Record<string, string> = { passed: '✅', failed: '❌' }
const SMOKE_TEXT: Record<string, string> = {
  exited: 'exited 0',
  running: 'running (server)',
  crashed: 'crashed',
  'start-failed': 'did not start',
  skipped: 'skipped',
  'not-started': 'not started',
  unhealthy: 'unhealthy',
  'probe-failed': 'probe failed'
}

/** Milliseconds as `1.2 s`, or `–`. */
export function seconds(ms?: number): string {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** How the start check ended, in a few words. */
export function startText(r: PlatformResult): string {
  if (!r.smoke) return '–'
  if (r.smoke.outcome === 'exited' && r.smoke.exitCode !== 0) return `exited ${r.smoke.exitCode}`
  if (r.smoke.outcome === 'crashed') return `crashed (${r.smoke.exitCode})`
  if (r.smoke.outcome === 'healthy') return `healthy in ${seconds(r.smoke.health?.durationMs ?? r.smoke.durationMs)}`
  if (r.smoke.outcome === 'probe-ok') return `probe ok in ${seconds(r.smoke.durationMs)}`
  return SMOKE_TEXT[r.smoke.outcome] ?? r.smoke.outcome
}

/** Text in a fenced code block whose fence no run of backquotes in it can close. */
function fenced(text: string): string {
  const fence = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)))
  return `${fence}\n${text}\n${fence}`
}

function findingLine(f: Finding): string {
  const where = f.file ? ` \`${f.file}${f.line ? `:${f.line}` : ''}\`` : ''
  const icon = f.severity === 'error' ? '❌' : f.severity === 'warning' ? '⚠️' : 'ℹ️'
  return `- ${icon} **${f.code}**${where}: ${f.message}${f.fix ? `<br>Fix: ${f.fix}` : ''}${f.evidence ? `<br><sub>${f.evidence}</sub>` : ''}`
}

export interface SummaryExtras {
  title: string
  advice: Finding[]
  largestLayers?: Record<string, { size: number; createdBy: string }[]>
  notes?: string[]
}

export function renderSummary(report: RunReport, extras: SummaryExtras): string {
  const { results } = report
  const passed = results.filter((r) => r.status === 'passed').length
  const verdict = passed === results.length ? `✅ ${passed}/${results.length} platforms passed` : `❌ ${results.length - passed} of ${results.length} platforms failed`
  const out: string[] = [`## ${extras.title}`, '', `**${verdict}**${report.digest ? ` · published \`${report.digest}\`` : ''}`, '']
  const hasDelta = (report.deltas?.length ?? 0) > 0
  out.push(`| Platform | Result | Disk size | Compressed |${hasDelta ? ' Change |' : ''} Layers | Start | Build | Check |`)
  out.push(`|---|---|---:|---:|${hasDelta ? '---:|' : ''}---:|---|---:|---:|`)
  for (const r of results) {
    const d = report.deltas?.find((x) => x.platform === r.platform)
    const delta = !d ? '–' : d.change === 'added' ? 'new' : formatDelta(d.bytes, d.percent)
    out.push(
      `| \`${r.platform}\` | ${ICON[r.status]} ${r.status} | ${r.size === undefined ? '–' : formatBytes(r.size)} | ${r.compressedSize === undefined ? '–' : formatBytes(r.compressedSize)} |${hasDelta ? ` ${delta} |` : ''} ${r.layers ?? '–'} | ${startText(r)} | ${seconds(r.buildMs)} | ${seconds(r.checkMs)} |`
    )
  }
  for (const d of report.deltas ?? []) if (d.change === 'removed') out.push(`\n_${d.platform}: in the baseline, not built now (removed)._`)
  out.push('')
  for (const r of results) {
    // A start failure explained by a finding: the runtime's words, then the finding with its fix.
    const explained = r.smoke?.outcome === 'start-failed' && r.findings.some((f) => f.severity === 'error')
    const headline = explained ? `- ❌ The runtime said \`${r.smoke!.message}\`; the cause:` : r.error ? `- ❌ ${escapeCell(r.error)}` : ''
    const problems = [headline, ...r.findings.map(findingLine)].filter(Boolean)
    const tail = r.smoke?.outputTail && r.smoke.outputTail.trim() !== r.smoke.message ? r.smoke.outputTail : undefined
    const healthLog = r.smoke?.health?.log.length ? `\nHealth log (last probes):\n${fenced(healthLogText(r.smoke.health.log))}` : ''
    const smoke = r.smoke && !r.smoke.passed && !explained ? [`- Runtime: \`${r.smoke.message}\``, tail ? `\n${fenced(tail)}` : '', healthLog] : []
    const layers = extras.largestLayers?.[r.platform] ?? []
    if (problems.length === 0 && smoke.length === 0 && layers.length === 0) continue
    out.push(`<details${r.status === 'failed' ? ' open' : ''}><summary>${ICON[r.status]} ${r.platform}</summary>`, '')
    out.push(...problems, ...smoke.filter(Boolean))
    if (layers.length) {
      out.push('', '| Largest layers | Created by |', '|---:|---|')
      for (const l of layers) out.push(`| ${formatBytes(l.size)} | \`${escapeCell(l.createdBy).slice(0, 160)}\` |`)
    }
    out.push('', '</details>', '')
  }
  if (extras.advice.length) {
    out.push(`<details><summary>⚠️ Dockerfile advice (${extras.advice.length})</summary>`, '', ...extras.advice.map(findingLine), '', '</details>', '')
  }
  for (const n of extras.notes ?? []) out.push(`_${n}_`, '')
  return out.join('\n')
}
