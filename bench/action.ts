/**
 * The action's cost over the bare commands it stands for, on the same example and platforms.
 *
 *   npx tsx bench/action.ts [--runs N] [--cold-runs N]      (needs dist/: npm run build)
 *
 * bare:   per platform `docker buildx build --platform P --load -t X` + `docker run --rm --platform P X`
 * action: the bundled action run the way the runner runs it (node dist/index.js with INPUT_*),
 *         which also looks inside each image, starts it sandboxed, measures it and reports.
 * warm:   the engine's build cache holds the layers (one unmeasured run of each first);
 * cold:   `docker builder prune -af` before each measured run.
 * Targets: warm overhead ≤ 0.5 s per platform; static check + start of a native image < 1.5 s.
 *
 * server: examples/server-go on linux/amd64, linux/arm64 and linux/arm/v7 (warm), its check time
 *         with the HEALTHCHECK deciding (smoke-health auto) next to smoke-health false (the former
 *         "still running after smoke-timeout", 10 s per platform); `--server-only` runs just this.
 * Target: a healthy server's check ends within 1 s of its first passing probe.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { docker } from '../src/docker/exec.js'
import { ROOT, runAction } from '../__tests__/support/action.js'

const EXAMPLE = 'examples/cross-compile'
const PLATFORMS = ['linux/amd64', 'linux/arm64']
const NATIVE = 'linux/amd64'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}

interface PlatformTimes {
  build: number
  check: number
}

interface Sample {
  totalMs: number
  platforms: Record<string, PlatformTimes>
}

/** Bare commands: build and load, then run, per platform. `check` is the `docker run`. */
async function bare(): Promise<Sample> {
  const platforms: Record<string, PlatformTimes> = {}
  const started = performance.now()
  const tags: string[] = []
  for (const platform of PLATFORMS) {
    const tag = `smokestack-bench/bare:${platform.replace(/\//g, '-')}`
    tags.push(tag)
    const t0 = performance.now()
    await docker(['buildx', 'build', '--platform', platform, '--load', '-t', tag, path.join(ROOT, EXAMPLE)], { timeoutMs: 30 * 60_000 })
    const t1 = performance.now()
    await docker(['run', '--rm', '--platform', platform, tag], { timeoutMs: 60_000 })
    platforms[platform] = { build: t1 - t0, check: performance.now() - t1 }
  }
  const totalMs = performance.now() - started
  for (const tag of tags) await docker(['image', 'rm', tag], { allowFailure: true })
  return { totalMs, platforms }
}

/** The bundled action; build and check times per platform from its `results` output. */
async function action(): Promise<Sample & { postMs: number }> {
  const started = performance.now()
  const run = await runAction({ inputs: { context: EXAMPLE, platforms: PLATFORMS.join(',') } })
  const callMs = performance.now() - started
  if (run.exitCode !== 0) throw new Error(`the action failed (exit ${run.exitCode}):\n${run.stdout.split('\n').slice(-30).join('\n')}`)
  const results = JSON.parse(run.outputs.results) as Record<string, { buildMs: number; checkMs: number }>
  const platforms = Object.fromEntries(PLATFORMS.map((p) => [p, { build: results[p].buildMs, check: results[p].checkMs }]))
  return { totalMs: run.durationMs, postMs: callMs - run.durationMs, platforms }
}

async function prune(): Promise<void> {
  await docker(['builder', 'prune', '-af'], { timeoutMs: 10 * 60_000 })
}

/** The sample of median total time (a whole run, so that its parts add up). */
function medianSample<T extends Sample>(samples: T[]): T {
  const sorted = [...samples].sort((a, b) => a.totalMs - b.totalMs)
  return sorted[(sorted.length - 1) >> 1]
}

function best(samples: Sample[]): number {
  return Math.min(...samples.map((x) => x.totalMs))
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

interface Measured {
  bare: Sample
  action: Sample & { postMs?: number }
  bestBareMs: number
  bestActionMs: number
}

async function measure(mode: 'warm' | 'cold', runs: number): Promise<Measured> {
  const bares: Sample[] = []
  const actions: (Sample & { postMs: number })[] = []
  for (let i = 0; i < runs; i++) {
    // Alternate the order so that neither side always runs right after the other's cache work.
    if (mode === 'cold') await prune()
    if (i % 2 === 0) bares.push(await bare())
    if (mode === 'cold') await prune()
    actions.push(await action())
    if (i % 2 === 1) {
      if (mode === 'cold') await prune()
      bares.push(await bare())
    }
    process.stderr.write(`${mode} run ${i + 1}/${runs} done\n`)
  }
  return { bare: medianSample(bares), action: medianSample(actions), bestBareMs: best(bares), bestActionMs: best(actions) }
}

function table(mode: string, runs: number, m: Measured): string[] {
  const rows: string[][] = [['', 'bare', 'action', 'overhead']]
  for (const p of PLATFORMS) {
    const b = m.bare.platforms[p]
    const a = m.action.platforms[p]
    rows.push([`${p} build`, s(b.build), s(a.build), s(a.build - b.build)])
    rows.push([`${p} run / look inside + start`, s(b.check), s(a.check), s(a.check - b.check)])
  }
  const inPlatforms = (x: Sample): number => PLATFORMS.reduce((sum, p) => sum + x.platforms[p].build + x.platforms[p].check, 0)
  const otherBare = m.bare.totalMs - inPlatforms(m.bare)
  const otherAction = m.action.totalMs - inPlatforms(m.action)
  rows.push(['other (start-up, engine, Dockerfile, sizing, report)', s(otherBare), s(otherAction), s(otherAction - otherBare)])
  rows.push(['total (all platforms)', s(m.bare.totalMs), s(m.action.totalMs), s(m.action.totalMs - m.bare.totalMs)])
  rows.push(['overhead per platform', '', '', s((m.action.totalMs - m.bare.totalMs) / PLATFORMS.length)])
  if (m.action.postMs !== undefined) rows.push(['post step (cleanup)', '', s(m.action.postMs), ''])
  rows.push(['best run: total / overhead per platform', s(m.bestBareMs), s(m.bestActionMs), s((m.bestActionMs - m.bestBareMs) / PLATFORMS.length)])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return [
    `${mode}: the run of median total time out of ${runs}, ${EXAMPLE} on ${PLATFORMS.join(', ')}`,
    ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  ]
}

const SERVER = 'examples/server-go'
const SERVER_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']

interface ServerTimes {
  check: number
  start: number
  /** From the end of the first passing probe to the check seeing it healthy. */
  seenAfter?: number
}

/** The server example's check per platform, with the HEALTHCHECK deciding or ignored. */
async function server(health: 'auto' | 'false'): Promise<Record<string, ServerTimes>> {
  const run = await runAction({ inputs: { context: SERVER, platforms: SERVER_PLATFORMS.join(','), 'smoke-health': health } })
  if (run.exitCode !== 0) throw new Error(`the action failed on ${SERVER} (exit ${run.exitCode}):\n${run.stdout.split('\n').slice(-30).join('\n')}`)
  const results = JSON.parse(run.outputs.results) as Record<string, { checkMs: number; smoke: { durationMs: number; health?: { durationMs: number; seenAfterMs?: number } } }>
  return Object.fromEntries(
    SERVER_PLATFORMS.map((p) => {
      const r = results[p]
      return [p, { check: r.checkMs, start: r.smoke.durationMs, seenAfter: r.smoke.health?.seenAfterMs }]
    })
  )
}

async function serverTable(runs: number): Promise<string[]> {
  await server('auto') // prime the build cache
  const healthy: Record<string, ServerTimes>[] = []
  const ignored: Record<string, ServerTimes>[] = []
  for (let i = 0; i < runs; i++) {
    healthy.push(await server('auto'))
    ignored.push(await server('false'))
    process.stderr.write(`server run ${i + 1}/${runs} done\n`)
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]
  const rows: string[][] = [['', 'HEALTHCHECK decides', 'smoke-health: false', 'probe passed → seen']]
  for (const p of SERVER_PLATFORMS) {
    const seen = healthy.map((h) => h[p].seenAfter).filter((x): x is number => x !== undefined)
    rows.push([`${p} check (start)`, `${s(median(healthy.map((h) => h[p].check)))} (${s(median(healthy.map((h) => h[p].start)))})`, `${s(median(ignored.map((h) => h[p].check)))} (${s(median(ignored.map((h) => h[p].start)))})`, seen.length ? s(median(seen)) : '–'])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const worstSeen = Math.max(...healthy.flatMap((h) => SERVER_PLATFORMS.map((p) => h[p].seenAfter ?? Infinity)))
  return [
    `server: ${SERVER} on ${SERVER_PLATFORMS.join(', ')}, warm, median of ${runs}: check time (of which the start check)`,
    ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')),
    `healthy server seen within ${s(worstSeen)} of its first passing probe at worst (target ≤ 1.00 s) ${worstSeen <= 1000 ? 'met' : 'NOT met'}`
  ]
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/index.js is missing: run npm run build first')
  if (process.argv.includes('--server-only')) {
    console.log((await serverTable(option('--runs', 3))).join('\n'))
    return
  }
  const warmRuns = option('--runs', 3)
  const coldRuns = option('--cold-runs', 1)

  // Prime: the cache holds every layer for both sides.
  await bare()
  await action()
  const warm = await measure('warm', warmRuns)
  const cold = await measure('cold', coldRuns)
  const serverLines = await serverTable(warmRuns)
  // Leave the cache warm for whatever runs next.
  await bare()

  const out = [...table('warm', warmRuns, warm), '', ...table('cold', coldRuns, cold), '']
  const perPlatform = (warm.action.totalMs - warm.bare.totalMs) / PLATFORMS.length
  const native = warm.action.platforms[NATIVE].check
  out.push(`warm overhead per platform: ${s(perPlatform)} (target ≤ 0.50 s) ${perPlatform <= 500 ? 'met' : 'NOT met'}`)
  out.push(`static check + start of the native image (${NATIVE}, warm): ${s(native)} (target < 1.50 s) ${native < 1500 ? 'met' : 'NOT met'}`)
  out.push('', ...serverLines)
  console.log(out.join('\n'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
