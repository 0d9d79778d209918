/**
 * The action against the bare commands it stands for: 3 platforms of a `$BUILDPLATFORM` cross-compile, started
 * and pushed to the local registry, run alternately in one process, warm and cold, medians and ratios.
 *
 *   npx tsx bench/action.ts [--runs N] [--cold-runs N]      (needs dist/: npm run build)
 *
 * bare:   containerd store: one `docker buildx build --platform a,b,c --load`, `docker run --rm --platform P`
 *         per platform, one `docker buildx build --platform a,b,c --push` (the docker driver cannot push by
 *         digest); classic store: the same per platform (it cannot load a multi-platform image).
 * action: the bundled action, run the way the runner runs it (node dist/index.js with INPUT_*), with push:
 *         it also looks inside each image, starts it sandboxed, measures it and reports.
 * warm:   the build cache holds every layer (one unmeasured run of each first);
 * cold:   `docker builder prune -af` before each measured run.
 * The action's peak memory is its process's maximum resident set (from the process itself, at exit).
 * Targets (2-core machine): warm ≤ 1.3× bare, cold ≤ 1.05× bare, peak memory ≤ 150 MiB.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { docker } from '../src/docker/exec.js'
import { ROOT, runAction } from '../__tests__/support/action.js'
import { imageStore, REGISTRY } from '../__tests__/support/docker.js'

const EXAMPLE = path.join(ROOT, 'examples/cross-compile')
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
const REPO = `${REGISTRY}/smokestack-bench/action`

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]

/** The bare commands; returns wall time. */
async function bare(run: number): Promise<number> {
  const started = performance.now()
  const tag = `smokestack-bench/bare:${run}`
  const build = ['buildx', 'build', '--provenance=false', '--sbom=false']
  const long = { timeoutMs: 30 * 60_000 }
  if (imageStore() === 'containerd') {
    await docker([...build, '--platform', PLATFORMS.join(','), '--load', '-t', tag, EXAMPLE], long)
    for (const p of PLATFORMS) await docker(['run', '--rm', '--network', 'none', '--platform', p, tag], { timeoutMs: 60_000 })
    await docker([...build, '--platform', PLATFORMS.join(','), '--output', `type=image,name=${REPO}:bare-${run},push=true`, EXAMPLE], long)
  } else {
    for (const p of PLATFORMS) {
      const t = `${tag}-${p.replace(/\//g, '-')}`
      await docker([...build, '--platform', p, '--load', '-t', t, EXAMPLE], long)
      await docker(['run', '--rm', '--network', 'none', '--platform', p, t], { timeoutMs: 60_000 })
      await docker([...build, '--platform', p, '--output', `type=image,name=${REPO}:bare-${run}-${p.replace(/\//g, '-')},push=true`, EXAMPLE], long)
    }
  }
  const ms = performance.now() - started
  for (const line of (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', 'smokestack-bench/bare'])).stdout.split('\n').filter(Boolean)) {
    await docker(['image', 'rm', line], { allowFailure: true })
  }
  return ms
}

/** Writes the process's peak resident memory (KiB) into the file `SMOKESTACK_BENCH_RSS` names, at exit. */
const RSS_HOOK = `const fs = require('node:fs'); process.on('exit', () => { try { fs.writeFileSync(process.env.SMOKESTACK_BENCH_RSS, String(process.resourceUsage().maxRSS)) } catch {} })\n`

/** The bundled action with push; returns wall time of main and its peak memory. */
async function action(run: number, hook: string): Promise<{ ms: number; rssMiB: number; checkMs: Record<string, number> }> {
  const rssFile = path.join(os.tmpdir(), `smokestack-bench-rss-${process.pid}-${run}`)
  const result = await runAction({
    inputs: { context: 'examples/cross-compile', platforms: PLATFORMS.join(','), push: 'true', tags: `${REPO}:action-${run}` },
    env: { NODE_OPTIONS: `--require ${hook}`, SMOKESTACK_BENCH_RSS: rssFile }
  })
  if (result.exitCode !== 0) throw new Error(`the action failed (exit ${result.exitCode}):\n${result.stdout.split('\n').slice(-30).join('\n')}`)
  const rssMiB = Number(fs.readFileSync(rssFile, 'utf8')) / 1024
  fs.rmSync(rssFile, { force: true })
  const results = JSON.parse(result.outputs.results) as Record<string, { checkMs: number }>
  return { ms: result.durationMs, rssMiB, checkMs: Object.fromEntries(PLATFORMS.map((p) => [p, results[p].checkMs])) }
}

async function prune(): Promise<void> {
  await docker(['builder', 'prune', '-af'], { timeoutMs: 10 * 60_000 })
}

interface Series {
  bare: number[]
  action: number[]
  rss: number[]
}

async function measure(mode: 'warm' | 'cold', runs: number, hook: string, counter: { n: number }): Promise<Series> {
  const series: Series = { bare: [], action: [], rss: [] }
  for (let i = 0; i < runs; i++) {
    // A, B then B, A: neither side always runs right after the other.
    const order = i % 2 === 0 ? (['bare', 'action'] as const) : (['action', 'bare'] as const)
    for (const side of order) {
      if (mode === 'cold') await prune()
      const n = counter.n++
      if (side === 'bare') series.bare.push(await bare(n))
      else {
        const a = await action(n, hook)
        series.action.push(a.ms)
        series.rss.push(a.rssMiB)
      }
    }
    process.stderr.write(`${mode} ${i + 1}/${runs}: bare ${s(series.bare.at(-1)!)}, action ${s(series.action.at(-1)!)}\n`)
  }
  return series
}

function lines(mode: string, m: Series, target: number): string[] {
  const ratio = median(m.action) / median(m.bare)
  return [
    `${mode} (${m.bare.length} runs each, alternating): bare ${m.bare.map(s).join(', ')}`,
    `${' '.repeat(mode.length)}                              action ${m.action.map(s).join(', ')}`,
    `${mode}: median bare ${s(median(m.bare))}, median action ${s(median(m.action))}, ratio ${ratio.toFixed(2)}× (target ≤ ${target.toFixed(2)}×) ${ratio <= target ? 'met' : 'NOT met'}`
  ]
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/index.js is missing: run npm run build first')
  const warmRuns = option('--runs', 5)
  const coldRuns = option('--cold-runs', 3)
  const hook = path.join(os.tmpdir(), `smokestack-bench-rss-hook-${process.pid}.cjs`)
  fs.writeFileSync(hook, RSS_HOOK)
  const counter = { n: 0 }
  try {
    // Prime: the cache holds every layer for both sides.
    await bare(counter.n++)
    await action(counter.n++, hook)
    const warm = await measure('warm', warmRuns, hook, counter)
    const cold = await measure('cold', coldRuns, hook, counter)
    const rss = [...warm.rss, ...cold.rss]
    console.log(
      [
        `${PLATFORMS.length} platforms (${PLATFORMS.join(', ')}) of examples/cross-compile, push to ${REGISTRY}, ${imageStore()} image store, ${os.availableParallelism()} cores`,
        ...lines('warm', warm, 1.3),
        ...lines('cold', cold, 1.05),
        `peak memory of the action: median ${median(rss).toFixed(1)} MiB, max ${Math.max(...rss).toFixed(1)} MiB (target ≤ 150 MiB) ${Math.max(...rss) <= 150 ? 'met' : 'NOT met'}`
      ].join('\n')
    )
  } finally {
    fs.rmSync(hook, { force: true })
    await bare(counter.n++) // leave the cache warm for whatever runs next
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
