/**
 * Sizes measured against a real engine and registry: a small two-platform image built at test time, loaded per
 * platform, pushed to the registry on 127.0.0.1:5000, and compared with what the registry itself reports.
 */
import { describe, it, expect, beforeAll, afterAll, jest } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import * as tar from 'tar-stream'
import { inspectEngine } from '../../src/docker/engine.js'
import { docker, run } from '../../src/docker/exec.js'
import { getPlatformManifests } from '../../src/docker/registry.js'
import { compareToBaseline } from '../../src/size/baseline.js'
import { compressedSizeFromRegistry, measureImage, savedImage, scanArchive, type ImageSize } from '../../src/size/measure.js'
import { formatBytes } from '../../src/size/units.js'

jest.setTimeout(15 * 60_000) // builds and pushes; `testTimeout` in a project's configuration is not applied

const REGISTRY = '127.0.0.1:5000'
const PLATFORMS = ['linux/amd64', 'linux/arm64']
const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
const repo = `${REGISTRY}/smokestack-size-itg-${id}`
const localTag = (platform: string): string => `smokestack-size-itg-${id}:${platform.replaceAll('/', '-')}`

let context: string
let containerdStore: boolean
const measured = new Map<string, ImageSize>()

/** The image's layers as `docker save` writes them, unpacked with the `tar` tool: path → bytes. */
async function savedLayers(ref: string, dir: string): Promise<Buffer[]> {
  const archive = join(dir, `${ref.replace(/[^\w.-]/g, '_')}.tar`)
  await docker(['image', 'save', '--output', archive, ref])
  const unpacked = await mkdtemp(join(dir, 'unpacked-'))
  await run('tar', ['-xf', archive, '-C', unpacked])
  const [entry] = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8')) as { Layers: string[] }[]
  return Promise.all(entry.Layers.map((layer) => readFile(join(unpacked, layer))))
}

const isGzip = (b: Buffer): boolean => b[0] === 0x1f && b[1] === 0x8b

/** A Dockerfile on alpine with `randomMiB` of incompressible data and some very compressible text. */
async function writeContext(dir: string, randomMiB: number): Promise<void> {
  await writeFile(join(dir, 'random.bin'), randomBytes(randomMiB * 1024 * 1024))
  await writeFile(join(dir, 'text.txt'), 'smokestack measures what each image weighs\n'.repeat(50_000))
  await writeFile(join(dir, 'Dockerfile'), 'FROM alpine:3.12.2\nCOPY random.bin /data/random.bin\nCOPY text.txt /data/text.txt\nRUN echo built > /data/stamp\n')
}

async function build(dir: string, platforms: string[], output: string[]): Promise<void> {
  await docker(['buildx', 'build', '--platform', platforms.join(','), ...output, dir], { timeoutMs: 10 * 60_000 })
}

/** The bytes a pull of `platform` downloads, read straight from the registry's HTTP API. */
async function registryDownloadSize(name: string, reference: string, platform: string): Promise<number> {
  const accept = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json'
  ].join(', ')
  type Raw = {
    manifests?: { digest: string; platform?: { os: string; architecture: string; variant?: string } }[]
    config?: { size: number }
    layers?: { size: number }[]
  }
  const get = async (ref: string): Promise<Raw> => {
    const response = await fetch(`http://${REGISTRY}/v2/${name}/manifests/${ref}`, { headers: { Accept: accept } })
    if (!response.ok) throw new Error(`registry answered ${response.status} for ${name}:${ref}`)
    return (await response.json()) as Raw
  }
  const index = await get(reference)
  const [os, architecture, variant] = platform.split('/')
  const entry = (index.manifests ?? []).find(
    (m) => m.platform?.os === os && m.platform?.architecture === architecture && (m.platform?.variant ?? undefined) === variant
  )
  if (!entry) throw new Error(`${name}:${reference} has no ${platform} manifest`)
  const manifest = await get(entry.digest)
  if (!manifest.config || !manifest.layers) throw new Error(`${name}@${entry.digest} is not an image manifest`)
  return manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0)
}

beforeAll(async () => {
  const info = await docker(['info', '--format', '{{.ServerVersion}}'], { allowFailure: true })
  if (info.exitCode !== 0) throw new Error(`The Docker engine is not reachable: ${info.stderr.trim()}`)
  const registry = await fetch(`http://${REGISTRY}/v2/`).catch((e: Error) => e)
  if (registry instanceof Error || !registry.ok) throw new Error(`The registry on ${REGISTRY} is not reachable`)
  containerdStore = (await inspectEngine()).containerdStore
  context = await mkdtemp(join(tmpdir(), 'smokestack-size-itg-'))
  await writeContext(context, 3)
  for (const platform of PLATFORMS) await build(context, [platform], ['--load', '-t', localTag(platform)])
  // One platform per build (the docker driver on the classic store builds one at a time), joined in a list.
  for (const platform of PLATFORMS) await build(context, [platform], ['--push', '-t', `${repo}:current-${platform.replace(/\//g, '-')}`])
  await docker(['buildx', 'imagetools', 'create', '-t', `${repo}:current`, ...PLATFORMS.map((p) => `${repo}:current-${p.replace(/\//g, '-')}`)])
})

afterAll(async () => {
  if (context) await rm(context, { recursive: true, force: true })
  // A push through the docker driver on the containerd store also keeps the pushed tags in the engine.
  const tags = [...PLATFORMS.map(localTag), ...PLATFORMS.map((p) => `${repo}:current-${p.replace(/\//g, '-')}`), `${repo}:baseline-amd64`]
  await docker(['image', 'rm', '--force', ...tags], { allowFailure: true })
})

describe('measureImage', () => {
  it.each(PLATFORMS)('measures %s as the engine does', async (platform) => {
    const ref = localTag(platform)
    const size = await measureImage(ref)
    measured.set(platform, size)
    const inspected = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .}}', ref])).stdout)
    const layers = await savedLayers(ref, context)
    const uncompressed = layers.reduce((sum, l) => sum + (isGzip(l) ? gunzipSync(l).length : l.length), 0)
    if (containerdStore) {
      // `.Size` counts the content in containerd (compressed blobs and manifests), plus the unpacked snapshots
      // once the image is unpacked: never the uncompressed size alone.
      expect(inspected.Size).toBeGreaterThanOrEqual(size.compressedSize)
      expect(inspected.Size).not.toBe(size.size)
      expect(size.size).toBe(uncompressed)
    } else {
      expect(size.size).toBe(inspected.Size)
      expect(uncompressed).toBeGreaterThanOrEqual(size.size) // tar headers on top of the files
    }
    console.log(
      `${platform} (${containerdStore ? 'containerd' : 'classic'} store): size ${size.size}, inspect .Size ${inspected.Size}, compressed ${size.compressedSize}, uncompressed layer tars ${uncompressed}`
    )
    expect(size.layers).toBe(inspected.RootFS.Layers.length)
    expect(size.layers).toBe(4) // alpine's one layer, two COPYs, one RUN
    // The largest layer is the random data, named by its instruction.
    expect(size.largestLayers[0].createdBy).toMatch(/^COPY random\.bin \/data\/random\.bin/)
    expect(size.largestLayers[0].size).toBeGreaterThanOrEqual(3 * 1024 * 1024)
    expect(size.largestLayers[0].size).toBeLessThan(3 * 1024 * 1024 + 64 * 1024)
    expect(size.largestLayers.some((l) => /^ADD rootfs\.tar \//.test(l.createdBy))).toBe(true) // the base image's layer
    // Random data does not compress; the text does: the download is a little over the 3 MiB plus alpine's ~1.5 MB.
    expect(size.compressedSize).toBeGreaterThan(3 * 1024 * 1024 + 1_000_000)
    expect(size.compressedSize).toBeLessThan(3 * 1024 * 1024 + 2_000_000)
    expect(size.compressedSize).toBeLessThan(size.size)
  })
})

describe('compressed size in the registry', () => {
  it.each(PLATFORMS)('is exact for %s, by tag and by digest', async (platform) => {
    const exact = await registryDownloadSize(`smokestack-size-itg-${id}`, 'current', platform)
    expect(await compressedSizeFromRegistry(`${repo}:current`, platform)).toBe(exact)
    const indexDigest = (await getPlatformManifests(`${repo}:current`)).get(platform)!.digest
    expect(indexDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const topDigest = (await docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest}}', `${repo}:current`])).stdout
    expect(await compressedSizeFromRegistry(`${repo}@${JSON.parse(topDigest).digest}`, platform)).toBe(exact)
  })

  it('lists the platforms without attestations', async () => {
    expect([...(await getPlatformManifests(`${repo}:current`)).keys()].sort()).toEqual(PLATFORMS)
  })

  it('names the platforms there are when one is missing', async () => {
    await expect(compressedSizeFromRegistry(`${repo}:current`, 'linux/s390x')).rejects.toThrow(
      /has no image for linux\/s390x \(it has: linux\/amd64, linux\/arm64\)/
    )
  })

  it.each(PLATFORMS)('is estimated before the push within 3%% for %s', async (platform) => {
    const estimate = measured.get(platform)?.compressedSize ?? (await measureImage(localTag(platform))).compressedSize
    const exact = await compressedSizeFromRegistry(`${repo}:current`, platform)
    const difference = (estimate - exact) / exact
    console.log(
      `${platform}: estimated ${estimate} bytes (${formatBytes(estimate)}), registry ${exact} bytes; difference ${estimate - exact} bytes (${(difference * 100).toFixed(3)}%)`
    )
    expect(Math.abs(difference)).toBeLessThan(0.03)
  })
})

describe('compressed size estimated from uncompressed layers (as the classic store saves them)', () => {
  it.each(PLATFORMS)('is within 3%% of the pushed blobs for %s', async (platform) => {
    // Rewrite the saved image with every layer decompressed, then estimate as for a classic-store archive.
    const archive = join(context, `plain-${platform.replaceAll('/', '-')}.tar`)
    await docker(['image', 'save', '--output', archive, localTag(platform)])
    const extract = tar.extract()
    const pack = tar.pack()
    const rewriting = (async () => {
      for await (const entry of extract) {
        const chunks: Buffer[] = []
        for await (const c of entry) chunks.push(c as Buffer)
        const body = Buffer.concat(chunks)
        const plain = entry.header.type === 'file' && isGzip(body) ? gunzipSync(body) : body
        if (entry.header.type === 'file') pack.entry({ ...entry.header, size: plain.length }, plain)
        else pack.entry({ ...entry.header, size: 0 })
      }
      pack.finalize()
    })()
    Readable.from([await readFile(archive)]).pipe(extract)
    const [summary] = await Promise.all([scanArchive(pack as unknown as AsyncIterable<Buffer>), rewriting])
    const image = savedImage(summary)
    expect(image.layers.every((l) => !l.compressed)).toBe(true)
    const exact = await compressedSizeFromRegistry(`${repo}:current`, platform)
    const difference = (image.compressedSize - exact) / exact
    console.log(
      `${platform} from uncompressed layers: estimated ${image.compressedSize}, registry ${exact}; difference ${image.compressedSize - exact} bytes (${(difference * 100).toFixed(3)}%)`
    )
    expect(Math.abs(difference)).toBeLessThan(0.03)
  })
})

describe('compareToBaseline', () => {
  let baselineContext: string
  beforeAll(async () => {
    baselineContext = await mkdtemp(join(tmpdir(), 'smokestack-size-itg-base-'))
    await writeContext(baselineContext, 2)
    await build(baselineContext, ['linux/amd64'], ['--push', '-t', `${repo}:baseline-amd64`])
  })
  afterAll(async () => {
    if (baselineContext) await rm(baselineContext, { recursive: true, force: true })
  })

  it('reports growth per platform and a platform the baseline lacks', async () => {
    const current = new Map<string, number>()
    for (const platform of PLATFORMS) current.set(platform, await compressedSizeFromRegistry(`${repo}:current`, platform))
    const baselineAmd64 = await registryDownloadSize(`smokestack-size-itg-${id}`, 'baseline-amd64', 'linux/amd64').catch(async () => {
      // A single-platform push may store a plain manifest rather than an index.
      return (await getPlatformManifests(`${repo}:baseline-amd64`)).get('linux/amd64')!.compressedSize
    })
    const result = await compareToBaseline(current, `${repo}:baseline-amd64`)
    expect(result.available).toBe(true)
    if (!result.available) return
    const bytes = current.get('linux/amd64')! - baselineAmd64
    expect(bytes).toBeGreaterThan(1024 * 1024 - 64 * 1024) // one more MiB of random data
    expect(result.deltas).toEqual([
      {
        platform: 'linux/amd64',
        change: 'changed',
        current: current.get('linux/amd64'),
        baseline: baselineAmd64,
        bytes,
        percent: (bytes / baselineAmd64) * 100
      },
      { platform: 'linux/arm64', change: 'added', current: current.get('linux/arm64'), bytes: current.get('linux/arm64') }
    ])
  })

  it('reports a platform the current image lacks as removed', async () => {
    const current = new Map([['linux/amd64', 1_000_000]])
    const result = await compareToBaseline(current, `${repo}:current`)
    expect(result.available && result.deltas.map((d) => [d.platform, d.change])).toEqual([
      ['linux/amd64', 'changed'],
      ['linux/arm64', 'removed']
    ])
  })

  it('is unavailable, with a reason, when the baseline does not exist or the registry is unreachable', async () => {
    const missing = await compareToBaseline(new Map([['linux/amd64', 1]]), `${repo}:no-such-tag`)
    expect(missing).toMatchObject({ available: false })
    expect(!missing.available && missing.reason).toMatch(/no-such-tag|not found/i)
    const unreachable = await compareToBaseline(new Map([['linux/amd64', 1]]), '127.0.0.1:5999/nothing:here')
    expect(unreachable).toMatchObject({ available: false })
  })
})
