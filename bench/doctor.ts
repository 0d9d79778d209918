/**
 * Benchmark of the image doctor on a ~1 GB image and a small one, through the engine API and through
 * `docker save`: wall time, peak RSS and bytes read for each path (each measured in its own process).
 * Builds `smokestack-bench/doctor:1g` (FROM alpine:3.12.2 + ~1 GB of generated layers) unless it exists.
 *
 *   npx tsx bench/doctor.ts [image-ref] [platform]
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { docker } from '../src/docker/exec.js'
import { runStreaming } from '../src/docker/exec.js'
import { fileURLToPath } from 'node:url'
import { examineImage, type ImageReport } from '../src/verify/doctor.js'

const DEFAULT_REF = 'smokestack-bench/doctor:1g'

const DOCKERFILE = `FROM alpine:3.12.2
# ~600 MB of incompressible data files (indexed, never copied)
RUN mkdir -p /data && for i in $(seq 1 60); do head -c 10485760 /dev/urandom > /data/blob-$i.bin; done
# ~30k small files, like a language runtime's standard library
RUN mkdir -p /usr/share/lib && cd /usr/share/lib && for d in $(seq 1 300); do mkdir d$d; for f in $(seq 1 100); do echo "file $d $f" > d$d/f$f.txt; done; done
# ~250 MB of executables and shared objects (the bytes an analysis may read)
RUN mkdir -p /opt/tools && for i in $(seq 1 150); do cp /bin/busybox /opt/tools/tool-$i; done \\
 && for i in $(seq 1 20); do head -c 10485760 /dev/urandom > /opt/tools/big-$i; chmod +x /opt/tools/big-$i; done \\
 && mkdir -p /usr/lib && for i in $(seq 1 10); do cp /lib/libc.musl-x86_64.so.1 /usr/lib/libextra-$i.so.1; done
# a later layer that deletes part of an earlier one
RUN rm -rf /data/blob-1.bin /usr/share/lib/d1
ENTRYPOINT ["/bin/sh", "-c", "exec /bin/busybox true"]
`

async function ensureImage(ref: string): Promise<void> {
  const have = await docker(['image', 'inspect', ref], { allowFailure: true })
  if (have.exitCode === 0) return
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-bench-'))
  fs.writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE)
  console.log(`building ${ref} (~1 GB)…`)
  await docker(['buildx', 'build', '--load', '--provenance=false', '--platform', 'linux/amd64', '-t', ref, dir], { timeoutMs: 20 * 60 * 1000 })
  fs.rmSync(dir, { recursive: true, force: true })
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

interface Measure {
  wallMs: number
  peakRss: number
  rssBefore: number
  report: ImageReport
}

/** One examination in this process (run as a child, so peak RSS belongs to it alone). */
async function measureHere(ref: string, platform: string, method: 'api' | 'archive'): Promise<void> {
  const rssBefore = process.memoryUsage().rss
  const started = process.hrtime.bigint()
  const report = await examineImage(ref, platform, { method })
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  const out: Measure = { wallMs, peakRss: process.resourceUsage().maxRSS * 1024, rssBefore, report }
  process.stdout.write(`\n@@${JSON.stringify(out)}\n`)
}

async function measure(ref: string, platform: string, method: 'api' | 'archive'): Promise<Measure> {
  const self = fileURLToPath(import.meta.url)
  const child = runStreaming(process.execPath, [...process.execArgv, self, '--one', method, ref, platform])
  let text = ''
  for await (const chunk of child.stdout) text += (chunk as Buffer).toString('utf8')
  const { exitCode, stderr } = await child.finished
  const line = text.split('\n').find((l) => l.startsWith('@@'))
  if (exitCode !== 0 || !line) throw new Error(`measuring ${method} on ${ref} failed: ${stderr}`)
  return JSON.parse(line.slice(2)) as Measure
}

function print(label: string, m: Measure): void {
  const s = m.report.stats
  console.log(`  ${label.padEnd(8)} wall ${m.wallMs.toFixed(0).padStart(6)} ms   peak RSS ${mb(m.peakRss).padStart(10)} (before ${mb(m.rssBefore)})`)
  console.log(
    `           streamed ${mb(s?.bytesStreamed ?? 0)}, kept ${mb(s?.bytesKept ?? 0)}, analysis read ${s?.bytesRead ?? 0} B` +
      (s?.method === 'api' ? `, ${s.requests} requests in ${s.rounds} rounds` : `, ${s?.entries} entries in ${s?.layers} layers`)
  )
  console.log(`           findings: ${m.report.findings.map((f) => `${f.severity}:${f.code}`).join(', ') || 'none'}; entry ${m.report.entry?.path ?? '-'}`)
}

async function main(): Promise<void> {
  if (process.argv[2] === '--one') return measureHere(process.argv[4]!, process.argv[5]!, process.argv[3] as 'api' | 'archive')
  const ref = process.argv[2] ?? DEFAULT_REF
  const platform = process.argv[3] ?? 'linux/amd64'
  await ensureImage(ref)
  const small = 'alpine:3.12.2'
  if ((await docker(['image', 'inspect', small], { allowFailure: true })).exitCode !== 0) await docker(['pull', '-q', small])
  for (const target of [ref, small]) {
    const inspect = JSON.parse((await docker(['image', 'inspect', target])).stdout) as Array<{ Size: number }>
    console.log(`${target} (${platform}), ${mb(inspect[0]?.Size ?? 0)} per docker image inspect`)
    const api = await measure(target, platform, 'api')
    print('api', api)
    const archive = await measure(target, platform, 'archive')
    print('archive', archive)
    const agree = JSON.stringify(api.report.findings) === JSON.stringify(archive.report.findings)
    console.log(`  findings of both paths ${agree ? 'agree' : 'DIFFER'}`)
  }
}
main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
