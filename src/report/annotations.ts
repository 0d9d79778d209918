/** Annotations: errors and warnings on the Dockerfile lines (or image files) that matter, and a failed platform's cause. Pure. */
import * as path from 'node:path'
import type { Finding } from '../types.js'
import { failureOutput, type PlatformReport, type RunReport } from './model.js'
import { printable } from './quote.js'

export interface AnnotationProps {
  title?: string
  file?: string
  startLine?: number
  endLine?: number
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  props: AnnotationProps
}

/** Annotation properties for a finding; Dockerfile paths are made relative to the workspace. */
export function annotationFor(f: Finding, workspace: string): { message: string; props: AnnotationProps } {
  const onHostFile = f.file !== undefined && f.line !== undefined
  const file = onHostFile ? path.relative(workspace, path.resolve(workspace, f.file as string)) : undefined
  const where = f.platform && !f.message.startsWith(`${f.platform}:`) ? `${f.platform}: ` : ''
  const message = `${where}${f.message}${f.fix ? `\nFix: ${f.fix}` : ''}${f.evidence ? `\n${f.evidence}` : ''}`
  return {
    message: printable(message),
    props: { title: `smokestack: ${f.code}`, file, startLine: onHostFile ? f.line : undefined, endLine: onHostFile ? (f.endLine ?? f.line) : undefined }
  }
}

function asAnnotation(f: Finding, workspace: string): Annotation {
  return { level: f.severity, ...annotationFor(f, workspace) }
}

/** A failed platform's error annotation: the reason, its explanation, and the last lines of its output. */
function failureAnnotation(p: PlatformReport): Annotation {
  const lines = [`${p.platform}: ${p.headline}`]
  const output = failureOutput(p)
  if (output) lines.push('Last lines of its output:', ...output.split('\n').slice(-10))
  return { level: 'error', message: printable(lines.join('\n')), props: { title: `smokestack: ${p.platform} failed` } }
}

/**
 * Every annotation of a run: the Dockerfile advice, then per platform its errors and warnings (notices stay in
 * the summary), then the failure itself unless a finding is the failure. A finding that a failed start's
 * annotation already explains is not repeated on its own.
 */
export function annotationsOf(report: RunReport, workspace: string): Annotation[] {
  const out = report.advice.map((f) => asAnnotation(f, workspace))
  for (const p of report.platforms) {
    const explained = p.reason?.kind === 'start-failed' ? p.reason.explanation.cause : undefined
    for (const f of p.findings) if (f.severity !== 'notice' && f !== explained) out.push(asAnnotation({ ...f, platform: p.platform }, workspace))
    if (p.status === 'failed' && p.reason?.kind !== 'finding' && p.reason?.kind !== 'budget') out.push(failureAnnotation(p))
  }
  return out
}
