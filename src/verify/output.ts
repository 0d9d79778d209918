/**
 * A container's own output made fit to show: bounded, without terminal escapes or control
 * characters, and with workflow commands (`::error::…`, `##[…]`) defused so that printing it in a
 * step log cannot make the runner act on it. Pure.
 */

/** Lines and characters of output kept for a report. */
export const TAIL_LINES = 20
export const TAIL_CHARS = 4000
/** Longest one-line detail, as an annotation carries it. */
export const DETAIL_CHARS = 300

// CSI and OSC sequences, then any other ESC sequence, then C0/C1 controls but tab and newline.
// eslint-disable-next-line no-control-regex -- control characters are what this removes
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g

/** Text with escapes and control characters removed and workflow commands defused, line by line. */
export function safeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(ESCAPES, '')
    .split('\n')
    .map((line) => line.replace(/^(\s*)(::|##\[)/, (_, space: string, mark: string) => `${space}${mark === '::' ? ': :' : '# #['}`))
    .join('\n')
}

/** The last lines of output, safe to print: at most `lines` lines and {@link TAIL_CHARS} characters. */
export function tail(text: string, lines = TAIL_LINES): string | undefined {
  // Only the end is looked at: a flood of output costs nothing more than its tail.
  const all = safeText(text.slice(-TAIL_CHARS * 4)).split('\n')
  while (all.length && !all[all.length - 1]!.trim()) all.pop()
  if (all.length === 0) return undefined
  const kept = all.slice(-lines).join('\n')
  return kept.length > TAIL_CHARS ? `…${kept.slice(-(TAIL_CHARS - 1))}` : kept
}

/** The last non-empty line of output, safe and short, or undefined. */
export function lastLine(text: string | undefined): string | undefined {
  const line = (text ? safeText(text) : '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1)
  if (!line) return undefined
  return line.length > 160 ? `${line.slice(0, 159)}…` : line
}

/** One line for an annotation: what happened, and the program's last words when it said any. */
export function detailLine(message: string, output?: string): string {
  const said = lastLine(output)
  const base = safeText(message).replace(/\s+/g, ' ').trim()
  const line = said && said !== base ? `${base}; its last output: ${said}` : base
  return line.length > DETAIL_CHARS ? `${line.slice(0, DETAIL_CHARS - 1)}…` : line
}

/** Untrusted text as a Markdown code span, on one line: rendered literally (no HTML, no links), backquotes replaced. */
export function codeSpan(text: string): string {
  const inner = safeText(text).replace(/\s+/g, ' ').replace(/`/g, "'").trim()
  return `\`${inner || ' '}\``
}
