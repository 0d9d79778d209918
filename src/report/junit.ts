/**
 * The results as a JUnit XML report (`--report junit=FILE`), so that CI systems show one test case per platform:
 * its verdict, its reason and the output that explains it. A rendering of the report model. Pure.
 */
import { failureOutput, verdictLine, type RunReport } from './model.js'

/** Text safe in XML: the five special characters escaped, and characters XML 1.0 cannot hold dropped. */
export function xmlText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  )
}

const secs = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3)

export function renderJunit(report: RunReport): string {
  const failures = report.platforms.filter((p) => p.status === 'failed').length
  const total = report.platforms.reduce((sum, p) => sum + (p.buildMs ?? 0) + (p.checkMs ?? 0), 0)
  const cases = report.platforms.map((p) => {
    const time = secs((p.buildMs ?? 0) + (p.checkMs ?? 0) + (p.test?.durationMs ?? 0))
    const head = `    <testcase classname="smokestack" name="${xmlText(p.platform)}" time="${time}">`
    if (p.status === 'passed') return `${head}</testcase>`
    const details = [
      p.headline ?? 'failed',
      ...p.findings.filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`),
      failureOutput(p) ?? ''
    ]
      .filter(Boolean)
      .join('\n')
    return [
      head,
      `      <failure message="${xmlText(p.headline ?? 'failed')}" type="${xmlText(p.reason?.kind ?? 'failed')}">${xmlText(details)}</failure>`,
      '    </testcase>'
    ].join('\n')
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smokestack" tests="${report.platforms.length}" failures="${failures}" time="${secs(total)}">`,
    `  <testsuite name="smokestack" tests="${report.platforms.length}" failures="${failures}" errors="0" skipped="0" time="${secs(total)}">`,
    `    <properties><property name="verdict" value="${xmlText(verdictLine(report))}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}
