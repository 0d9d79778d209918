/**
 * Runs the Dockerfile reader over a directory of real Dockerfiles kept outside the repository
 * (one folder each: Dockerfile, SOURCE, and JUDGED.json once its findings were judged by reading
 * the file) and prints the stage chains, the findings, the time per file, and precision and misses
 * over the judged ones. Not run by CI: the files are other projects' code and stay out of the tree.
 *
 *   npx tsx scripts/corpus-eval.ts /path/to/real-dockerfiles [--platform linux/amd64,linux/arm64]
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { lintFile } from '../src/lint/lint.js'

interface Judged {
  /** `code@line` → true when the finding is right, false when it is not. */
  findings: Record<string, boolean>
  /** Findings that should have been given (`code@line: why`). */
  missed?: string[]
}

const [dir, ...rest] = process.argv.slice(2)
if (!dir) {
  process.stderr.write('Usage: npx tsx scripts/corpus-eval.ts DIR [--platform LIST]\n')
  process.exit(2)
}
const platformFlag = rest.indexOf('--platform')
const platforms = platformFlag >= 0 ? rest[platformFlag + 1].split(',') : ['linux/amd64', 'linux/arm64']
const options = { platforms, nativePlatforms: ['linux/amd64', 'linux/386'], buildArgs: {}, ignore: [] }

let right = 0
let wrong = 0
let missed = 0
let unjudged = 0
let crashes = 0
const times: number[] = []
for (const name of fs.readdirSync(dir).sort()) {
  const file = path.join(dir, name, 'Dockerfile')
  if (!fs.existsSync(file)) continue
  const content = fs.readFileSync(file, 'utf8')
  const sourceFile = path.join(dir, name, 'SOURCE')
  // The file's own name (`Dockerfile.builder`, `dev.Dockerfile`) is part of what the advice reads.
  const shownPath = fs.existsSync(sourceFile) ? (JSON.parse(fs.readFileSync(sourceFile, 'utf8')) as { path: string }).path : 'Dockerfile'
  const t0 = performance.now()
  let report
  try {
    report = lintFile({ path: shownPath, content }, options)
  } catch (e) {
    crashes += 1
    process.stdout.write(`${name}: EXCEPTION ${e instanceof Error ? e.stack : String(e)}\n`)
    continue
  }
  times.push(performance.now() - t0)
  const judgedFile = path.join(dir, name, 'JUDGED.json')
  const judged: Judged | undefined = fs.existsSync(judgedFile) ? (JSON.parse(fs.readFileSync(judgedFile, 'utf8')) as Judged) : undefined
  process.stdout.write(
    `${name}\n  chain: ${report.chain.join(' ')}  (unused: ${
      report.stages
        .filter((s) => s.role === 'unused')
        .map((s) => s.label)
        .join(' ') || '-'
    })\n`
  )
  for (const f of report.findings) {
    const key = `${f.code}@${f.line}`
    const verdict = judged?.findings[key]
    if (verdict === true) right += 1
    else if (verdict === false) wrong += 1
    else unjudged += 1
    process.stdout.write(`  ${verdict === undefined ? '?' : verdict ? '+' : '-'} ${key}  ${f.message.slice(0, 160)}\n`)
  }
  for (const m of judged?.missed ?? []) {
    missed += 1
    process.stdout.write(`  missed ${m}\n`)
  }
}
times.sort((a, b) => a - b)
const p50 = times[Math.floor(times.length / 2)] ?? 0
const total = times.reduce((a, b) => a + b, 0)
process.stdout.write(
  `\n${times.length} files, ${crashes} exceptions; ${right + wrong + unjudged} findings: ${right} right, ${wrong} wrong, ${unjudged} not judged; ` +
    `precision ${right + wrong > 0 ? ((100 * right) / (right + wrong)).toFixed(1) : '-'}%; ${missed} missed.\n` +
    `time: total ${total.toFixed(1)} ms, p50 ${p50.toFixed(2)} ms, max ${(times.at(-1) ?? 0).toFixed(2)} ms per file.\n`
)
