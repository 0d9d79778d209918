/**
 * The merge's own time for three platforms, warm: three per-platform jobs of the bundled action push by digest
 * once (not measured), then the bundled merge action (node dist/merge/index.js, the way the runner runs it)
 * verifies the three records in the local registry and publishes the list under two tags, several times.
 *
 *   npx tsx bench/merge.ts [--runs N]      (needs dist/: npm run build; the local registry on 127.0.0.1:5000)
 *
 * Target: ≤ 2 s per merge (median).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { runAction, runMergeAction } from '../__tests__/support/action.js'

const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
const REPO = `127.0.0.1:5000/smokestack-bench/merge-${Date.now().toString(36)}`
const SHA = 'be4c'.padEnd(40, '0')
const TARGET_MS = 2000

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}

async function main(): Promise<void> {
  const runs = option('--runs', 7)
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smokestack-bench-merge-'))
  try {
    const jobs = await Promise.all(
      PLATFORMS.map((p) =>
        runAction({
          inputs: { context: 'examples/cross-compile', platforms: p, push: 'by-digest', tags: REPO, 'record-dir': path.join(root, p.replace(/\//g, '-')) },
          env: { GITHUB_SHA: SHA }
        })
      )
    )
    const failed = jobs.findIndex((j) => j.exitCode !== 0)
    if (failed >= 0) throw new Error(`the ${PLATFORMS[failed]} job failed:\n${jobs[failed].stdout.slice(-2000)}`)
    const times: number[] = []
    for (let i = 0; i < runs + 1; i++) {
      const run = await runMergeAction({
        inputs: { records: root, tags: `${REPO}:r${i},${REPO}:latest`, platforms: PLATFORMS.join(',') },
        env: { GITHUB_SHA: SHA }
      })
      if (run.exitCode !== 0) throw new Error(`the merge failed:\n${run.stdout.slice(-2000)}`)
      if (i > 0) times.push(run.durationMs) // the first one warms the registry's caches
    }
    times.sort((a, b) => a - b)
    const median = times[Math.floor(times.length / 2)]
    process.stdout.write(
      [
        `merge of ${PLATFORMS.length} platforms (bundled merge action, warm, ${runs} runs): median ${(median / 1000).toFixed(2)} s, min ${(times[0] / 1000).toFixed(2)} s, max ${(times.at(-1)! / 1000).toFixed(2)} s`,
        `target ≤ ${(TARGET_MS / 1000).toFixed(1)} s: ${median <= TARGET_MS ? 'met' : 'NOT met'}`,
        ''
      ].join('\n')
    )
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

await main()
