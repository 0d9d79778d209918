/** The lint results as text for a terminal or a log, and as JSON. Pure. */
import { FINDING_CODES } from '../findings.js'
import type { Finding } from '../types.js'
import type { FileReport } from './lint.js'
import { printable } from '../report/quote.js'

export { printable }

type Paint = (style: 'bold' | 'dim' | 'red' | 'yellow' | 'cyan', text: string) => string

const SEVERITY_STYLE = { error: 'red', warning: 'yellow', notice: 'cyan' } as const

function findingText(f: Finding, paint: Paint): string {
  const where = `${f.file ?? ''}${f.line !== undefined ? `:${f.line}` : ''}`
  const lines = [`${paint('bold', printable(where))}: ${paint(SEVERITY_STYLE[f.severity], f.severity)} ${paint('dim', f.code)}  ${printable(f.message)}`]
  if (f.fix) lines.push(`  fix: ${printable(f.fix)}`)
  if (f.evidence) lines.push(paint('dim', `  why: ${printable(f.evidence)}`))
  return lines.join('\n')
}

/** One block per finding, the stage chain of each file, and a count. */
export function renderText(reports: FileReport[], paint: Paint = (_s, t) => t): string {
  const out: string[] = []
  for (const report of reports) {
    if (report.stages.length > 0) {
      const stages = report.stages.map((r) => (r.role === 'unused' ? paint('dim', printable(r.label)) : printable(r.label)))
      out.push(
        paint('dim', `${printable(report.path)}: stages `) +
          stages.join(', ') +
          paint('dim', ` (target ${printable(report.stages.find((r) => r.role === 'target')!.label)})`)
      )
    }
    for (const f of report.findings) out.push(findingText(f, paint))
  }
  const count = reports.reduce((n, r) => n + r.findings.length, 0)
  out.push(`${count === 0 ? 'No findings' : `${count} finding${count === 1 ? '' : 's'}`} in ${reports.length} Dockerfile${reports.length === 1 ? '' : 's'}.`)
  return out.join('\n') + '\n'
}

/** The reports with each finding's title and help from the table. */
export function renderJson(reports: FileReport[]): string {
  const files = reports.map((r) => ({
    ...r,
    findings: r.findings.map((f) => ({ ...f, title: FINDING_CODES[f.code].title, help: FINDING_CODES[f.code].help }))
  }))
  return `${JSON.stringify({ files }, null, 2)}\n`
}
