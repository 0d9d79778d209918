/**
 * The word patterns of `${VAR#pat}`, `${VAR%%pat}`, `${VAR/pat/rep}` and their kin, matched in linear time.
 *
 * BuildKit turns such a pattern into an RE2 expression (`*` any string, `?` one character, `\x` the
 * character x, everything else literal, no bracket expressions) and RE2 never backtracks. A pattern is
 * matched here the same way, by stepping a set of pattern positions along the value (a Thompson
 * simulation): O(value length × pattern length) for every operator, whatever the input.
 */

/** One pattern element: a literal character, `?` (any one character) or `*` (any string). */
type Token = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'star' }

/** Reads a pattern; `\` makes the next character literal (a trailing `\` is itself literal). */
export function compileGlob(pattern: string): Token[] {
  const chars = Array.from(pattern)
  const tokens: Token[] = []
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]
    if (c === '\\' && i + 1 < chars.length) tokens.push({ kind: 'char', char: chars[++i] })
    else if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' })
    } else if (c === '?') tokens.push({ kind: 'any' })
    else tokens.push({ kind: 'char', char: c })
  }
  return tokens
}

/** Positions reachable from `states` without reading a character (a star may match nothing). */
function close(tokens: Token[], states: Uint8Array): void {
  for (let i = 0; i < tokens.length; i++) if (states[i] && tokens[i].kind === 'star') states[i + 1] = 1
}

function step(tokens: Token[], states: Uint8Array, char: string): Uint8Array {
  const next = new Uint8Array(tokens.length + 1)
  for (let i = 0; i < tokens.length; i++) {
    if (!states[i]) continue
    const token = tokens[i]
    if (token.kind === 'star') next[i] = 1
    else if (token.kind === 'any' || token.char === char) next[i + 1] = 1
  }
  close(tokens, next)
  return next
}

/**
 * Length of the shortest (or longest) prefix of `value` the pattern matches, or -1 when none does.
 * `value` is an array of characters (code points).
 */
export function matchPrefix(tokens: Token[], value: string[], longest: boolean): number {
  let states: Uint8Array = new Uint8Array(tokens.length + 1)
  states[0] = 1
  close(tokens, states)
  let found = states[tokens.length] ? 0 : -1
  if (found === 0 && !longest) return 0
  for (let i = 0; i < value.length; i++) {
    states = step(tokens, states, value[i])
    if (states[tokens.length]) {
      found = i + 1
      if (!longest) return found
    }
    if (!states.some(Boolean)) break
  }
  return found
}

/** The pattern read backwards, so that a suffix search becomes a prefix search. */
export function reverseGlob(tokens: Token[]): Token[] {
  return [...tokens].reverse()
}

/**
 * The leftmost match of the pattern in `value` at or after `from`, the longest at that start
 * (what RE2's leftmost-first search gives for these greedy patterns), as [start, end), or undefined.
 */
export function findLeftmost(tokens: Token[], value: string[], from: number): [number, number] | undefined {
  const m = tokens.length
  const NONE = Number.MAX_SAFE_INTEGER
  // For each pattern position, the earliest start of a partial match standing there.
  let starts = new Array<number>(m + 1).fill(NONE)
  let best: [number, number] | undefined
  const inject = (at: number): void => {
    if (starts[0] > at) starts[0] = at
    for (let i = 0; i < m; i++) if (starts[i] !== NONE && tokens[i].kind === 'star' && starts[i + 1] > starts[i]) starts[i + 1] = starts[i]
  }
  const accept = (at: number): void => {
    const s = starts[m]
    if (s === NONE) return
    if (!best || s < best[0] || (s === best[0] && at > best[1])) best = [s, at]
  }
  for (let i = from; i <= value.length; i++) {
    if (!best) inject(i)
    accept(i)
    if (i === value.length) break
    const next = new Array<number>(m + 1).fill(NONE)
    for (let k = 0; k < m; k++) {
      const s = starts[k]
      if (s === NONE || (best && s > best[0])) continue
      const token = tokens[k]
      if (token.kind === 'star') {
        if (next[k] > s) next[k] = s
      } else if (token.kind === 'any' || token.char === value[i]) {
        if (next[k + 1] > s) next[k + 1] = s
      }
    }
    for (let k = 0; k < m; k++) if (next[k] !== NONE && tokens[k].kind === 'star' && next[k + 1] > next[k]) next[k + 1] = next[k]
    starts = next
    if (best && starts.every((s) => s === NONE)) break
  }
  return best
}

/** `${VAR#pat}` (shortest) and `${VAR##pat}` (longest): the value without the matched prefix. */
export function trimPrefix(value: string, pattern: string, longest: boolean): string {
  const chars = Array.from(value)
  const n = matchPrefix(compileGlob(pattern), chars, longest)
  return n < 0 ? value : chars.slice(n).join('')
}

/** `${VAR%pat}` (shortest) and `${VAR%%pat}` (longest): the value without the matched suffix. */
export function trimSuffix(value: string, pattern: string, longest: boolean): string {
  const chars = Array.from(value)
  const n = matchPrefix(reverseGlob(compileGlob(pattern)), [...chars].reverse(), longest)
  return n < 0 ? value : chars.slice(0, chars.length - n).join('')
}

/** `${VAR/pat/rep}` (first match) and `${VAR//pat/rep}` (every match, left to right, not overlapping). */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  const tokens = compileGlob(pattern)
  const chars = Array.from(value)
  let out = ''
  let at = 0
  let previousEnd = -1
  while (at <= chars.length) {
    const match = findLeftmost(tokens, chars, at)
    if (!match) break
    const [start, end] = match
    if (end === start) {
      // An empty match: RE2 ignores one right after a previous match; either way the next character is kept.
      out += chars.slice(at, start).join('') + (start === previousEnd ? '' : replacement)
      if (start < chars.length) out += chars[start]
      at = start + 1
    } else {
      out += chars.slice(at, start).join('') + replacement
      at = end
    }
    previousEnd = end
    if (!all) break
  }
  return at <= chars.length ? out + chars.slice(at).join('') : out
}
