/**
 * Benchmark of the image doctor on a ~1 GB image: wall time, peak RSS and bytes read.
 * Builds `smokestack-bench/doctor:1g` (FROM alpine:3.12.2 + ~1 GB of generated layers) unless it exists.
 *
 *   npx tsx bench/doctor.ts [image-ref] [platform]
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { docker } from '../src/docker/exec.js'
import { spawnStream } from '../src/docker/stream.js'
import { examineImage } from '../src/verify/doctor.js'

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

/** Time a bare `docker save` into nothing, for reference: the floor any reader of the archive has. */
async function bareSaveMs(ref: string): Promise<{ ms: number; bytes: number }> {
  const started = Date.now()
  const save = spawnStream('docker', ['save', ref])
  let bytes = 0
  for await (const chunk of save.stdout) bytes += (chunk as Buffer).length
  await save.finished
  return { ms: Date.now() - started, bytes }
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

async function main(): Promise<void> {
  const ref = process.argv[2] ?? DEFAULT_REF
  const platform = process.argv[3] ?? 'linux/amd64'
  await ensureImage(ref)
  const inspect = JSON.parse((await docker(['image', 'inspect', ref])).stdout) as Array<{ Size: number }>
  const bare = await bareSaveMs(ref)
  const rssBefore = process.memoryUsage().rss
  const started = process.hrtime.bigint()
  const report = await examineImage(ref, platform)
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  const peakRss = process.resourceUsage().maxRSS * 1024
  console.log(`image                 ${ref} (${platform}), ${mb(inspect[0]?.Size ?? 0)} per docker image inspect`)
  console.log(`bare docker save      ${bare.ms} ms for ${mb(bare.bytes)}`)
  console.log(`examineImage wall     ${wallMs.toFixed(0)} ms`)
  console.log(`peak RSS              ${mb(peakRss)} (RSS before: ${mb(rssBefore)})`)
  console.log(`archive streamed      ${mb(report.stats?.archiveBytes ?? 0)}`)
  console.log(`file bytes spooled    ${mb(report.stats?.spooledBytes ?? 0)}`)
  console.log(`bytes analysis read   ${report.stats?.bytesRead ?? 0}`)
  console.log(`entries / layers      ${report.stats?.entries} / ${report.stats?.layers}`)
  console.log(`findings              ${report.findings.map((f) => `${f.severity}:${f.code}`).join(', ') || 'none'}`)
  console.log(`entry                 ${JSON.stringify(report.entry)}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
