/** Word patterns (`#`, `##`, `%`, `%%`, `/`, `//`) as BuildKit applies them, in linear time on hostile input. */
import { describe, it, expect } from '@jest/globals'
import { analyzeDockerfile } from '../../../src/dockerfile/index.js'
import { expandVariables } from '../../../src/dockerfile/variables.js'

const expand = (text: string, env: Record<string, string>): string => expandVariables(text, (name) => env[name])

describe('pattern operators', () => {
  const env = { V: 'golang:1.21-alpine3.18', P: 'a.b.c', E: '', S: 'a*b' }
  it.each([
    ['${V#*:}', '1.21-alpine3.18'],
    ['${V##*-}', 'alpine3.18'],
    ['${V%-*}', 'golang:1.21'],
    ['${V%%.*}', 'golang:1'],
    ['${V%.*}', 'golang:1.21-alpine3'],
    ['${V#nomatch}', 'golang:1.21-alpine3.18'],
    ['${V#g?lang}', ':1.21-alpine3.18'],
    ['${V/alpine/bookworm}', 'golang:1.21-bookworm3.18'],
    ['${P/./-}', 'a-b.c'],
    ['${P//./-}', 'a-b-c'],
    ['${P//?/x}', 'xxxxx'],
    ['${P//*/z}', 'z'],
    ['${P/b*/}', 'a.'],
    ['${P/#a/q}', 'a.b.c'],
    ['${P//[.]/-}', 'a.b.c'],
    ['${S/\\*/-}', 'a-b'],
    ['${P/./${E}}', 'ab.c'],
    ['${E//a/b}', ''],
    ['${UNSET//a/b}', ''],
    ['${P//b}', '${P//b}']
  ])('%s', (text, expected) => {
    expect(expand(text, env)).toBe(expected)
  })
})

describe('issue: a pattern that backtracks for ever', () => {
  it('reads ARG V=a×3000, W=${V%%*a*a*a*a*a*a*c}3.12.2, FROM alpine:${W#$V} to alpine:3.12.2', () => {
    const content = `ARG V=${'a'.repeat(3000)}\nARG W=\${V%%*a*a*a*a*a*a*c}3.12.2\nFROM alpine:\${W#$V}\n`
    const analysis = analyzeDockerfile({ path: 'Dockerfile', content, platforms: ['linux/amd64'], nativePlatforms: ['linux/amd64'], buildArgs: {} })
    expect(analysis.stages[0].baseImage).toBe('alpine:3.12.2')
  })

  it('answers every operator on the same kind of input', () => {
    const V = 'a'.repeat(3000)
    const env = { V, X: V + 'b' }
    const results = ['#', '##', '%', '%%'].map((op) => expand(`\${X${op}*a*a*a*a*a*a*c}`, env).length)
    const replaced = ['/', '//'].map((op) => expand(`\${X${op}*a*a*a*a*a*a*c/-}`, env).length)
    const found = ['/', '//'].map((op) => expand(`\${X${op}a*a*a*a*a*a*b/-}`, env))
    expect([results, replaced, found]).toEqual([
      [3001, 3001, 3001, 3001],
      [3001, 3001],
      ['-', '-']
    ])
  })
})

/** A deterministic generator, so that a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The same operators by exhaustive search over cut points: slow, obviously right, only for short strings. */
function reference(value: string, op: string, pattern: string, replacement = ''): string {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]')
  const whole = new RegExp(`^(?:${source})$`)
  const n = value.length
  const cuts = [...Array(n + 1).keys()]
  switch (op) {
    case '#':
    case '##': {
      const ks = cuts.filter((k) => whole.test(value.slice(0, k)))
      return ks.length === 0 ? value : value.slice(op === '#' ? Math.min(...ks) : Math.max(...ks))
    }
    case '%':
    case '%%': {
      const ks = cuts.filter((k) => whole.test(value.slice(k)))
      return ks.length === 0 ? value : value.slice(0, op === '%' ? Math.max(...ks) : Math.min(...ks))
    }
    default: {
      for (const start of cuts) {
        const ends = cuts.filter((e) => e >= start && whole.test(value.slice(start, e)))
        if (ends.length > 0) return value.slice(0, start) + replacement + value.slice(Math.max(...ends))
      }
      return value
    }
  }
}

describe('fuzz: the linear matcher against exhaustive search', () => {
  it('agrees on 4000 random patterns and values, and stays fast on long adversarial ones', () => {
    const next = rng(20261201)
    const pick = (alphabet: string, max: number): string =>
      Array.from({ length: Math.floor(next() * (max + 1)) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('')
    const disagreements: string[] = []
    for (let i = 0; i < 4000; i++) {
      const value = pick('ab-.', 9)
      const pattern = pick('ab*?.-', 5)
      const op = ['#', '##', '%', '%%', '/'][i % 5]
      const text = op === '/' ? `\${V/${pattern}/X}` : `\${V${op}${pattern}}`
      // `${V//X}` is the replace-all operator: an empty pattern cannot be written with a single `/`.
      if (op === '/' && pattern === '') continue
      const got = expand(text, { V: value })
      const want = reference(value, op, pattern, 'X')
      if (got !== want) disagreements.push(`${JSON.stringify(value)} ${text} → ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
    }
    expect(disagreements.slice(0, 5)).toEqual([])
    for (let i = 0; i < 50; i++) {
      const value = pick('ab', 2000) + 'c'
      const pattern = Array.from({ length: 20 }, () => (next() < 0.5 ? '*' : 'ab'[Math.floor(next() * 2)])).join('') + 'd'
      for (const op of ['#', '##', '%', '%%', '/', '//']) {
        const text = op.startsWith('/') ? `\${V${op}${pattern}/X}` : `\${V${op}${pattern}}`
        expect(expand(text, { V: value })).toBe(value)
      }
    }
  })
})
