/**
 * Quoting untrusted text (container output, file names from images, build logs, registry answers) for the
 * places it is shown, so that nothing it holds can end its block, inject Markdown or HTML, or move a terminal's
 * cursor. Pure.
 */

/**
 * Text safe to print on a terminal or in a log: control characters other than newline and tab (escape
 * sequences start with one), and the characters that reorder text (bidirectional overrides), are shown as
 * `\u{…}` instead of acting.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** The longest run of `char` in `text`. */
function longestRun(text: string, char: string): number {
  let longest = 0
  let run = 0
  for (const c of text) {
    run = c === char ? run + 1 : 0
    if (run > longest) longest = run
  }
  return longest
}

/** A fenced code block that `text` cannot close, whatever it holds. */
export function codeBlock(text: string): string {
  const body = printable(text).replace(/\r\n?/g, '\n')
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1))
  return `${fence}text\n${body}\n${fence}`
}

/**
 * Markdown for a line of text that marks code with backticks (the findings' own style): each backtick span
 * becomes `<code>` with its content escaped, everything else is escaped as text, so that an image's file name
 * or a container's output cannot become a link, an image, HTML or table syntax. An unmatched backtick is text.
 */
export function inlineMarkdown(text: string): string {
  const parts = printable(text).replace(/\r?\n/g, ' ').split('`')
  const out: string[] = []
  for (let i = 0; i < parts.length; i++) {
    const isCode = i % 2 === 1 && i < parts.length - 1
    if (isCode) out.push(`<code>${escapeHtml(parts[i]).replace(/\|/g, '&#124;')}</code>`)
    else out.push((i % 2 === 1 ? '\\`' : '') + escapeMarkdown(parts[i]))
  }
  return out.join('')
}

/** Escapes the characters Markdown (and a table cell) would act on. */
export function escapeMarkdown(text: string): string {
  return escapeHtml(text).replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1')
}
