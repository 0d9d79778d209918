/**
 * The start check of a server: examples/server-go on linux/amd64, linux/arm64 and linux/arm/v7 (warm), its check
 * time with the HEALTHCHECK deciding (smoke-health auto) next to smoke-health false (the former "still running
 * after smoke-timeout", 10 s per platform).
 *
 *   npx tsx bench/server.ts [--runs N]      (needs dist/: npm run build)
 *
 * Target: a healthy server's check ends within 1 s of its first passing probe.
 */
import { runAction } from '../__tests__/support/action.js'

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

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
  const results = JSON.parse(run.outputs.results) as Record<
    string,
    { checkMs: number; smoke: { durationMs: number; health?: { durationMs: number; seenAfterMs?: number } } }
  >
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
    rows.push([
      `${p} check (start)`,
      `${s(median(healthy.map((h) => h[p].check)))} (${s(median(healthy.map((h) => h[p].start)))})`,
      `${s(median(ignored.map((h) => h[p].check)))} (${s(median(ignored.map((h) => h[p].start)))})`,
      seen.length ? s(median(seen)) : '–'
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const worstSeen = Math.max(...healthy.flatMap((h) => SERVER_PLATFORMS.map((p) => h[p].seenAfter ?? Infinity)))
  return [
    `server: ${SERVER} on ${SERVER_PLATFORMS.join(', ')}, warm, median of ${runs}: check time (of which the start check)`,
    ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')),
    `healthy server seen within ${s(worstSeen)} of its first passing probe at worst (target ≤ 1.00 s) ${worstSeen <= 1000 ? 'met' : 'NOT met'}`
  ]
}

serverTable(option('--runs', 3)).then(
  (lines) => console.log(lines.join('\n')),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
)
