import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { analyzeDockerfile, DockerfileError } from '../../../src/dockerfile/index.js'

/** A small deterministic generator, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const seeds = ['examples/hello-go/Dockerfile', 'examples/hello-go-cgo/Dockerfile', 'examples/cross-compile/Dockerfile'].map((f) =>
  fs.readFileSync(path.resolve(f), 'utf8')
)
const pieces = [
  '\\\n',
  '${',
  '}',
  '$',
  'FROM',
  ' AS ',
  '--platform=',
  '--from=',
  'ARG X=${Y:-',
  '<<EOF\n',
  '\nEOF\n',
  '# escape=`\n',
  '"',
  "'",
  '\r\n',
  '\0',
  '\u202e',
  'COPY --from=-1 / /',
  'FROM $UNSET',
  'RUN go build &&',
  '\n\n\n'
]

function mutate(text: string, next: () => number): string {
  let out = text
  const edits = 1 + Math.floor(next() * 6)
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1))
    const choice = next()
    if (choice < 0.3) out = out.slice(0, at) + out.slice(at + Math.floor(next() * 20))
    else if (choice < 0.7) out = out.slice(0, at) + pieces[Math.floor(next() * pieces.length)] + out.slice(at)
    else if (choice < 0.85) out = out.slice(0, at)
    else out = out.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x3000)) + out.slice(at)
  }
  return out
}

describe('the Dockerfile reader on hostile input', () => {
  it('answers every mutated Dockerfile with an analysis or a DockerfileError, quickly', () => {
    const next = rng(20261128)
    let analyses = 0
    let refusals = 0
    const started = Date.now()
    for (let i = 0; i < 3000; i++) {
      const content = mutate(seeds[i % seeds.length], next)
      const t0 = Date.now()
      try {
        const a = analyzeDockerfile({
          path: 'Dockerfile',
          content,
          platforms: ['linux/amd64', 'linux/arm64'],
          nativePlatforms: ['linux/amd64'],
          buildArgs: { X: '1' }
        })
        expect(a.stages.length).toBeGreaterThan(0)
        analyses++
      } catch (e) {
        if (!(e instanceof DockerfileError)) throw new Error(`case ${i} threw ${String(e)} for:\n${JSON.stringify(content)}`, { cause: e })
        refusals++
      }
      expect(Date.now() - t0).toBeLessThan(1000)
    }
    expect(analyses).toBeGreaterThan(100)
    expect(refusals).toBeGreaterThan(10)
    expect(Date.now() - started).toBeLessThan(60_000)
  })

  it('stays bounded on a huge line-continuation chain and deep variable nesting', () => {
    const content = `ARG A=${'${B:-'.repeat(2000)}x${'}'.repeat(2000)}\nFROM alpine:$A\nRUN echo ${'a \\\n'.repeat(20000)}b\n`
    const t0 = Date.now()
    try {
      analyzeDockerfile({ path: 'Dockerfile', content, platforms: ['linux/amd64'], nativePlatforms: ['linux/amd64'], buildArgs: {} })
    } catch (e) {
      expect(e).toBeInstanceOf(DockerfileError)
    }
    expect(Date.now() - t0).toBeLessThan(5000)
  })
})
