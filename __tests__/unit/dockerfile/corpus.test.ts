/**
 * The corpus of fixtures/dockerfiles: Dockerfiles written after real public ones (each folder's SOURCE
 * names the project, path and commit), with the stage chain and the findings expected, each finding
 * judged true or false by reading the file it was modelled on (EXPECT.json).
 */
import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { lintMain } from '../../../src/cli/lint.js'
import { lintFile } from '../../../src/lint/lint.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const CORPUS = path.join(ROOT, 'fixtures/dockerfiles')

interface Expect {
  file: string
  platforms: string[]
  nativePlatforms: string[]
  buildArgs: Record<string, string>
  target?: string
  chain: string[]
  unused: string[]
  findings: Array<{ code: string; line: number; verdict: boolean; reason: string }>
  missed: string[]
}

const cases = fs
  .readdirSync(CORPUS)
  .sort()
  .map((name) => ({ name, expected: JSON.parse(fs.readFileSync(path.join(CORPUS, name, 'EXPECT.json'), 'utf8')) as Expect }))

describe('the Dockerfile corpus', () => {
  it('holds at least 40 Dockerfiles, each with its source and commit', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40)
    for (const { name, expected } of cases) {
      const source = fs.readFileSync(path.join(CORPUS, name, 'SOURCE'), 'utf8')
      expect(source).toMatch(/^Modelled on [\w.-]+\/[\w.-]+, \S.*, at commit [0-9a-f]{40}\.\n/)
      expect(fs.existsSync(path.join(CORPUS, name, expected.file))).toBe(true)
    }
  })

  it.each(cases)('$name: stage chain and findings as judged', ({ name, expected }) => {
    const file = path.join('fixtures/dockerfiles', name, expected.file)
    const report = lintFile(
      { path: file, content: fs.readFileSync(path.join(ROOT, file), 'utf8') },
      {
        platforms: expected.platforms,
        nativePlatforms: expected.nativePlatforms,
        buildArgs: expected.buildArgs,
        ignore: [],
        ...(expected.target && { target: expected.target })
      }
    )
    expect({ chain: report.chain, unused: report.stages.filter((s) => s.role === 'unused').map((s) => s.label) }).toEqual({
      chain: expected.chain,
      unused: expected.unused
    })
    expect(report.findings.map((f) => `${f.code}@${f.line}`)).toEqual(expected.findings.map((f) => `${f.code}@${f.line}`))
    for (const f of expected.findings) {
      expect(typeof f.verdict).toBe('boolean')
      expect(f.reason.length).toBeGreaterThan(20)
    }
  })

  it('judged precision and misses over the corpus', () => {
    const judged = cases.flatMap((c) => c.expected.findings)
    const right = judged.filter((f) => f.verdict).length
    const missed = cases.reduce((n, c) => n + c.expected.missed.length, 0)
    const summary = { files: cases.length, findings: judged.length, right, precision: Math.round((1000 * right) / judged.length) / 10, missed }
    process.stdout.write(`corpus: ${JSON.stringify(summary)}\n`)
    expect(summary.precision).toBeGreaterThanOrEqual(90)
    expect(missed).toBeLessThanOrEqual(judged.length / 5)
  })

  it('`smokestack lint` over the whole corpus takes less than a second', async () => {
    const files = cases.map(({ name, expected }) => path.join('fixtures/dockerfiles', name, expected.file))
    const sink = new Writable({ write: (_chunk, _enc, done) => done() })
    const started = performance.now()
    const code = await lintMain(['--platform', 'linux/amd64,linux/arm64', '--build-platform', 'linux/amd64', '--format', 'sarif', ...files], {
      stdout: sink,
      stderr: sink,
      cwd: ROOT,
      env: {}
    })
    const elapsed = performance.now() - started
    process.stdout.write(`corpus: lint of ${files.length} files in ${elapsed.toFixed(0)} ms\n`)
    expect(code).toBe(1)
    expect(elapsed).toBeLessThan(1000)
  })
})
