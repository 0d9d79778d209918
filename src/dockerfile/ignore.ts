/**
 * Silencing advice: codes ignored everywhere (the `ignore-advice` input, `--ignore`), and a
 * `# smokestack-ignore: code[,code]` comment on the lines of a finding or in the comment lines
 * right above them, which silences that code there only.
 */
import type { Finding } from '../types.js'

const IGNORE_COMMENT = /#\s*smokestack-ignore:\s*([A-Za-z0-9_,\s-]*)/

/** The codes a line's `# smokestack-ignore:` comment names (empty when it has none). */
export function ignoreCommentCodes(line: string): string[] {
  const match = IGNORE_COMMENT.exec(line)
  return match ? match[1].split(/[\s,]+/).filter(Boolean) : []
}

const isComment = (line: string): boolean => /^\s*#/.test(line)

/** The codes silenced for a finding on lines `line`..`endLine` (1-based) of a file split into `lines`. */
function silencedAt(lines: string[], line: number, endLine: number): Set<string> {
  const codes = new Set<string>()
  for (let i = line - 1; i < Math.min(endLine, lines.length); i++) for (const c of ignoreCommentCodes(lines[i])) codes.add(c)
  for (let i = line - 2; i >= 0 && isComment(lines[i]); i--) for (const c of ignoreCommentCodes(lines[i])) codes.add(c)
  return codes
}

/** The findings left once `codes` and the file's ignore comments are applied. Findings without a line only answer to `codes`. */
export function withoutIgnored(findings: Finding[], content: string, codes: readonly string[] = []): Finding[] {
  const everywhere = new Set(codes)
  const lines = content.split(/\r?\n/)
  return findings.filter((f) => {
    if (everywhere.has(f.code)) return false
    if (f.line === undefined) return true
    return !silencedAt(lines, f.line, f.endLine ?? f.line).has(f.code)
  })
}
