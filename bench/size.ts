/**
 * Sizing a large image: wall time and peak memory of `measureImage`, plus the time of a bare `docker save` of
 * the same image for comparison.
 *
 *   npx tsx bench/size.ts [image]        (default golang:1.15, pulled when missing)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { docker } from '../src/docker/exec.js'
import { measureImage } from '../src/size/measure.js'
import { formatBytes } from '../src/size/units.js'

const image = process.argv[2] ?? 'golang:1.15'

async function main(): Promise<void> {
  const present = await docker(['image', 'inspect', image], { allowFailure: true })
  if (present.exitCode !== 0) await docker(['pull', image], { timeoutMs: 30 * 60_000 })

  const dir = await mkdtemp(join(tmpdir(), 'bench-size-'))
  const saveStarted = performance.now()
  await docker(['image', 'save', '--output', join(dir, 'image.tar'), image])
  const saveMs = performance.now() - saveStarted
  await rm(dir, { recursive: true, force: true })

  const rssBefore = process.resourceUsage().maxRSS
  const started = performance.now()
  const size = await measureImage(image)
  const ms = performance.now() - started
  const maxRssKiB = process.resourceUsage().maxRSS

  console.log(`image: ${image}`)
  console.log(`size on disk: ${size.size} bytes (${formatBytes(size.size)}); compressed: ${size.compressedSize} bytes (${formatBytes(size.compressedSize)}); layers: ${size.layers}`)
  for (const layer of size.largestLayers) console.log(`  ${formatBytes(layer.size).padStart(8)}  ${layer.createdBy.slice(0, 100)}`)
  console.log(`bare docker save: ${(saveMs / 1000).toFixed(1)} s`)
  console.log(`measureImage: ${(ms / 1000).toFixed(1)} s (${((size.size / 1e6) / (ms / 1000)).toFixed(1)} MB/s of image)`)
  console.log(`peak RSS: ${(maxRssKiB / 1024).toFixed(1)} MiB (before measuring: ${(rssBefore / 1024).toFixed(1)} MiB)`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
