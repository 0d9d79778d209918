/** Annotations: errors and warnings on the Dockerfile lines (or image files) that matter. */
import * as path from 'node:path'
import * as core from '@actions/core'
import type { Finding } from '../types.js'

/** Annotation properties for a finding; Dockerfile paths are made relative to the workspace. Pure. */
export function annotationFor(f: Finding, workspace: string): { message: string; props: core.AnnotationProperties } {
  const onHostFile = f.file !== undefined && f.line !== undefined
  const file = onHostFile ? path.relative(workspace, path.resolve(workspace, f.file as string)) : undefined
  const where = f.platform && !f.message.startsWith(`${f.platform}:`) ? `${f.platform}: ` : ''
  const message = `${where}${f.message}${f.fix ? `\nFix: ${f.fix}` : ''}${f.evidence ? `\n${f.evidence}` : ''}`
  return {
    message,
    props: { title: `smokestack: ${f.code}`, file, startLine: onHostFile ? f.line : undefined, endLine: onHostFile ? (f.endLine ?? f.line) : undefined }
  }
}

export function annotate(f: Finding, workspace = process.env.GITHUB_WORKSPACE ?? process.cwd()): void {
  const { message, props } = annotationFor(f, workspace)
  if (f.severity === 'error') core.error(message, props)
  else if (f.severity === 'warning') core.warning(message, props)
  else core.notice(message, props)
}
