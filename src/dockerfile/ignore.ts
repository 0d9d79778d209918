/**
 * Silencing advice: codes ignored everywhere (the `ignore-advice` input, `--ignore`), and a
 * `# smokestack-ignore: code[,code]` comment on the lines of a finding or in the comment lines
 * right above them, which silences that code there only.
 */
import { FINDING_CODES } from '../findings.js'
import type { Finding } from '../types.js'

/** `# smokestack-ignore: a-code, other-code` (words after the list, such as a reason, are not codes). */
const IGNORE_COMMENT = /#\s*smokestack-ignore:[ \t]*([A-Za-z0-9_-]+(?:[ \t]*,[ \t]*[A-Za-z0-9_-]+)*)/

/** The codes a line's `# smokestack-ignore:` comment names (empty when it has none). */
export function ignoreCommentCodes(line: string): string[] {
  const match = IGNORE_COMMENT.exec(line)
  return match ? match[1].split(/[ \t]*,[ \t]*/).map((c) => c.toLowerCase()) : []
}

const isComment = (line: string): boolean => /^\s*#/.test(line)

/** The codes silenced for a finding on lines `line`..`endLine` (1-based) of a file split into `lines`. */
function silencedAt(lines: string[], line: number, endLine: number): Set<string> {
  const codes = new Set<string>()
  for (let i = line - 1; i < Math.min(endLine, lines.length); i++) for (const c of ignoreCommentCodes(lines[i])) codes.add(c)
  for (let i = line - 2; i >= 0 && isComment(lines[i]); i--) for (const c of ignoreCommentCodes(lines[i])) codes.add(c)
  return codes
}

const isAdviceCode = (code: string): boolean => Object.hasOwn(FINDING_CODES, code) && FINDING_CODES[code as keyof typeof FINDING_CODES].source === 'dockerfile'

/** A notice for each code an ignore comment names that the advice does not have: such a comment silences nothing. */
function unknownCodes(lines: string[], path: string): Finding[] {
  const findings: Finding[] = []
  lines.forEach((line, i) => {
    for (const code of ignoreCommentCodes(line).filter((c) => !isAdviceCode(c))) {
      findings.push({
        severity: 'notice',
        code: 'ignore-unknown-code',
        message: `The ignore comment names "${code}", which is not a code of the Dockerfile advice, so it silences nothing.`,
        fix: `Use one of: ${Object.keys(FINDING_CODES).filter(isAdviceCode).join(', ')}.`,
        file: path,
        line: i + 1
      })
    }
  })
  return findings
}

/**
 * The findings left once `codes` and the file's ignore comments are applied (findings without a line only answer
 * to `codes`), with a notice for each code an ignore comment names that does not exist.
 */
export function withoutIgnored(findings: Finding[], content: string, codes: readonly string[] = [], path?: string): Finding[] {
  const everywhere = new Set(codes)
  const lines = content.split(/\r?\n/)
  const kept = findings.filter((f) => {
    if (everywhere.has(f.code)) return false
    if (f.line === undefined) return true
    return !silencedAt(lines, f.line, f.endLine ?? f.line).has(f.code)
  })
  if (path === undefined) return kept
  return [...kept, ...unknownCodes(lines, path).filter((f) => !everywhere.has(f.code))]
}
