/**
 * Sizing a ~1 GB image: wall time and peak memory (maxRSS).
 *
 *   npx tsx bench/size.ts [image] [--runs N]
 *
 * With an image (e.g. golang:1.15), it is pulled when missing and measured. Without one, a ~1 GB image is built
 * on alpine:3.12.2 (half random bytes, half text). Two figures are taken:
 *   1. `measureImage` on the engine (on the containerd store the saved layers are gzip'd: decompressed to count)
 *      against a bare `docker image save` of the same image read to the end, run alternately, medians and ratio;
 *   2. one pass of `scanArchive` over the same image exported with uncompressed layers, as the classic store
 *      saves it: every layer gzip-compressed once, the path that costs the most.
 * Target: measuring costs no more than the bare save it reads (ratio ≈ 1).
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { docker, runStreaming } from '../src/docker/exec.js'
import { measureImage, savedImage, scanArchive } from '../src/size/measure.js'
import { formatBytes } from '../src/size/units.js'

const GENERATED = 'smokestack-bench-size:1g'

function peakRssMiB(): string {
  return (process.resourceUsage().maxRSS / 1024).toFixed(1)
}

async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const value = await what()
  return [value, (performance.now() - started) / 1000]
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]

/** A bare `docker image save`, read to the end and counted. */
async function bareSave(image: string): Promise<number> {
  const save = runStreaming('docker', ['image', 'save', image])
  let bytes = 0
  for await (const chunk of save.stdout) bytes += (chunk as Buffer).length
  const { exitCode, stderr } = await save.finished
  if (exitCode !== 0) throw new Error(`docker image save ${image} failed: ${stderr}`)
  return bytes
}

async function buildGenerated(dir: string, output: string[]): Promise<void> {
  await writeFile(join(dir, 'Dockerfile'), 'FROM alpine:3.12.2\nRUN head -c 500000000 /dev/urandom > /random.bin\nRUN seq 1 60000000 > /numbers.txt\n')
  await docker(['buildx', 'build', '--platform', 'linux/amd64', ...output, dir], { timeoutMs: 30 * 60_000 })
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--runs')
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3
  const image = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--runs') ?? GENERATED
  const dir = await mkdtemp(join(tmpdir(), 'bench-size-'))
  try {
    if (image === GENERATED) await buildGenerated(dir, ['--load', '-t', GENERATED])
    else if ((await docker(['image', 'inspect', image], { allowFailure: true })).exitCode !== 0) await docker(['pull', image], { timeoutMs: 30 * 60_000 })

    const rssAtStart = peakRssMiB()
    const bareTimes: number[] = []
    const measureTimes: number[] = []
    let size: Awaited<ReturnType<typeof measureImage>> | undefined
    let saved = 0
    for (let run = 1; run <= runs; run++) {
      const [bytes, bareSeconds] = await timed(() => bareSave(image))
      saved = bytes
      const [measured, measureSeconds] = await timed(() => measureImage(image))
      size = measured
      bareTimes.push(bareSeconds)
      measureTimes.push(measureSeconds)
      console.log(`run ${run}/${runs}: bare save ${bareSeconds.toFixed(1)} s, measureImage ${measureSeconds.toFixed(1)} s`)
    }
    const rssAfterMeasure = peakRssMiB()
    if (!size) throw new Error('--runs must be at least 1')
    const measureSeconds = median(measureTimes)
    console.log(`image: ${image}`)
    console.log(
      `size: ${size.size} bytes (${formatBytes(size.size)}); compressed: ${size.compressedSize} bytes (${formatBytes(size.compressedSize)}); layers: ${size.layers}`
    )
    for (const layer of size.largestLayers) console.log(`  ${formatBytes(layer.size).padStart(8)}  ${layer.createdBy.slice(0, 100)}`)
    console.log(
      `measureImage: median ${measureSeconds.toFixed(1)} s (${(size.size / 1e6 / measureSeconds).toFixed(0)} MB/s); bare docker image save (${formatBytes(saved)}): median ${median(bareTimes).toFixed(1)} s; ` +
        `ratio ${(measureSeconds / median(bareTimes)).toFixed(2)}×; peak RSS ${rssAfterMeasure} MiB (at start ${rssAtStart} MiB)`
    )

    if (image === GENERATED) {
      const archive = join(dir, 'uncompressed.tar')
      await buildGenerated(dir, ['--output', `type=docker,dest=${archive},compression=uncompressed,force-compression=true`])
      const bytes = (await stat(archive)).size
      const [summary, scanSeconds] = await timed(() => scanArchive(createReadStream(archive, { highWaterMark: 1024 * 1024 })))
      const saved = savedImage(summary)
      console.log(
        `scanArchive, uncompressed layers (classic store): ${formatBytes(bytes)} archive in ${scanSeconds.toFixed(1)} s (${(bytes / 1e6 / scanSeconds).toFixed(0)} MB/s); ` +
          `estimated compressed ${saved.compressedSize} bytes (${formatBytes(saved.compressedSize)}), ` +
          `${(((saved.compressedSize - size.compressedSize) / size.compressedSize) * 100).toFixed(2)}% from the engine's gzip blobs; peak RSS ${peakRssMiB()} MiB`
      )
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
    if (image === GENERATED) await docker(['image', 'rm', GENERATED], { allowFailure: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
