/**
 * The lint results as SARIF 2.1.0, as GitHub code scanning takes it (github/codeql-action/upload-sarif):
 * one run, a rule per Dockerfile advice code with its title and help from the findings table, and
 * each result at its file and lines, relative to the repository root. Pure.
 */
import { FINDING_CODES, type FindingCode } from '../findings.js'
import type { Severity } from '../types.js'
import type { FileReport } from './lint.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', notice: 'note' }

/** A path relative to the repository root as a URI reference: forward slashes, each segment percent-encoded. */
export function toUri(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
}

export function renderSarif(reports: FileReport[]): string {
  const codes = (Object.keys(FINDING_CODES) as FindingCode[]).filter((c) => FINDING_CODES[c].source === 'dockerfile')
  const rules = codes.map((code) => {
    const info = FINDING_CODES[code]
    return {
      id: code,
      name: code.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
      shortDescription: { text: info.title },
      fullDescription: { text: info.help },
      help: { text: info.help, markdown: `**${info.title}**\n\n${info.help}` },
      defaultConfiguration: { level: LEVEL[info.severity] },
      properties: { tags: ['dockerfile', 'containers'] }
    }
  })
  const results = reports.flatMap((report) =>
    report.findings.map((f) => {
      const line = Math.max(1, f.line ?? 1)
      return {
        ruleId: f.code,
        ruleIndex: codes.indexOf(f.code),
        level: LEVEL[f.severity],
        message: { text: [f.message, f.fix && `Fix: ${f.fix}`].filter(Boolean).join(' ') },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: toUri(f.file ?? report.path), uriBaseId: '%SRCROOT%' },
              region: { startLine: line, endLine: Math.max(line, f.endLine ?? line) }
            }
          }
        ]
      }
    })
  )
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'smokestack', rules } },
        results,
        columnKind: 'utf16CodeUnits'
      }
    ]
  }
  return `${JSON.stringify(log, null, 2)}\n`
}
