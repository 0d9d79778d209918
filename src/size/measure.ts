/**
 * What an image loaded in the engine weighs: bytes on disk, number of layers, the largest layers with the
 * instruction that made each, and the bytes a pull downloads.
 *
 * Everything but the layer count comes from one streaming pass over `docker save`. A layer the archive holds
 * uncompressed (classic store) is gzip-compressed once at the default level, what a buildx push does, and only
 * the output's length is kept. A layer the archive holds gzip-compressed (the containerd store saves the blobs it
 * keeps) counts as it is, and is decompressed once to count its uncompressed bytes. After a push, the exact
 * download size comes from the registry's manifest (`compressedSizeFromRegistry`).
 *
 * Size on disk means the uncompressed layers. On the classic store that is `docker image inspect`'s `.Size`
 * (the sum of the layers' diff sizes) and is taken from there. On the containerd store (Docker 26) `.Size` is the
 * size of the image's content in containerd — compressed layers, config and manifests — so it is not used; the
 * size is the sum of the uncompressed layer tars instead (a little more than the files: tar headers).
 * The largest layers come from the saved config's history, because `docker history` fails on the containerd
 * store for an image of a platform other than the engine's.
 */
import { posix } from 'node:path'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { constants as zlibConstants, createGunzip, createGzip } from 'node:zlib'
import * as tar from 'tar-stream'
import { inspectEngine } from '../docker/engine.js'
import { CommandError, docker, readStreaming } from '../docker/exec.js'
import { getPlatformManifests } from '../docker/registry.js'
import { canonicalPlatform } from '../docker/platform.js'
import { sameTag } from '../docker/reference.js'

export interface LayerOrigin {
  /** Uncompressed bytes of the layer. */
  size: number
  /** The Dockerfile instruction that created the layer. */
  createdBy: string
}

export interface ImageSize {
  /** Digest of the image's config, when the archive names it. */
  configDigest?: string
  /** Bytes on disk, uncompressed. */
  size: number
  /** Bytes a pull downloads: compressed layers plus the config. */
  compressedSize: number
  /** Number of layers (`RootFS.Layers`). */
  layers: number
  /** The largest layers, largest first. */
  largestLayers: LayerOrigin[]
}

/** How many of the largest layers `measureImage` reports by default. */
export const LARGEST_LAYERS = 5

export interface MeasureOptions {
  /** Whether the engine keeps images in containerd's store; asked of the engine when absent. */
  containerdStore?: boolean
  /** How many of the largest layers to report; default `LARGEST_LAYERS`. */
  largest?: number
}

/** Measures the image loaded in the engine under `ref`. */
export async function measureImage(ref: string, options: MeasureOptions = {}): Promise<ImageSize> {
  const [inspected, containerdStore] = await Promise.all([inspectImage(ref), options.containerdStore ?? usesContainerdStore()])
  const saved = savedImage(await scanSavedImage(ref), ref)
  return sizeOf(saved, containerdStore ? (uncompressedSize(saved.layers) ?? inspected.Size) : inspected.Size, inspected.RootFS?.Layers?.length, options.largest)
}

/**
 * Measures each platform of the multi-platform image `ref` (containerd image store) in one pass over the saved
 * archive: every blob is read once, whichever platforms share it.
 */
export async function measurePlatforms(
  ref: string,
  platforms: readonly string[],
  options: Pick<MeasureOptions, 'largest'> = {}
): Promise<Map<string, ImageSize>> {
  const summary = await scanSavedImage(ref)
  return new Map(platforms.map((platform) => [platform, sizeOf(ociPlatformImage(summary, platform), undefined, undefined, options.largest)]))
}

/** The figures of a saved image; `diskSize` when the engine knows it (classic store), else summed from the layers. */
function sizeOf(saved: SavedImage, diskSize: number | undefined, layerCount: number | undefined, largest = LARGEST_LAYERS): ImageSize {
  return {
    configDigest: saved.configDigest,
    size: diskSize ?? uncompressedSize(saved.layers) ?? saved.layers.reduce((sum, l) => sum + l.size, 0),
    compressedSize: saved.compressedSize,
    layers: layerCount ?? saved.layers.length,
    largestLayers: largestLayers(layerOrigins(saved.config?.history, saved.layers), largest)
  }
}

/** Exact bytes a pull of `platform` downloads, from the manifest in the registry (`ref` is a tag or a digest reference). */
export async function compressedSizeFromRegistry(ref: string, platform: string): Promise<number> {
  const manifests = await getPlatformManifests(ref)
  const manifest = manifests.get(platform)
  if (!manifest) throw new Error(`${ref} has no image for ${platform} (it has: ${[...manifests.keys()].join(', ') || 'none'})`)
  return manifest.compressedSize
}

// ---------------------------------------------------------------------------------------------------------------
// One pass over a saved image

/** A file of a `docker save` archive and what a pull of it would download. */
export interface ArchiveBlob {
  /** Bytes in the archive. */
  size: number
  /** Bytes once gzip-compressed; `size` when the file is stored compressed already. */
  compressedSize: number
  /** Stored compressed already (gzip or zstd). */
  compressed: boolean
  /** Bytes once decompressed; unknown for zstd. */
  uncompressedSize?: number
}

/** What one pass over a `docker save` archive learned. */
export interface ArchiveSummary {
  blobs: Map<string, ArchiveBlob>
  /** Contents of the small JSON files (`manifest.json`, `index.json`, configs), by path. */
  json: Map<string, string>
  /** Links in the archive: path → the path it points to. */
  links: Map<string, string>
}

const JSON_LIMIT = 8 * 1024 * 1024
const GZIP_MAGIC = [0x1f, 0x8b]
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd]
const ZLIB_CHUNK = 64 * 1024

/**
 * Reads a `docker save` archive once. Each file stored uncompressed is gzip-compressed at `level` and the output
 * counted; each gzip file is decompressed and the output counted; small JSON files are kept.
 */
export async function scanArchive(archive: Readable | AsyncIterable<Buffer>, level: number = zlibConstants.Z_DEFAULT_COMPRESSION): Promise<ArchiveSummary> {
  const summary: ArchiveSummary = { blobs: new Map(), json: new Map(), links: new Map() }
  const extract = tar.extract()
  const feeding = pipeline(archive, extract)
  feeding.catch(() => undefined) // its error surfaces through the loop below, or the await after it
  for await (const entry of extract) {
    const { name, type, size = 0, linkname } = entry.header
    const path = posix.normalize(name)
    if ((type === 'symlink' || type === 'link') && linkname) {
      summary.links.set(path, type === 'symlink' ? posix.join(posix.dirname(path), linkname) : posix.normalize(linkname))
    }
    if (type !== 'file' || size === 0) {
      entry.resume()
      continue
    }
    const { head, content } = await peek(entry as AsyncIterable<Buffer>)
    if (startsWith(head, GZIP_MAGIC)) {
      summary.blobs.set(path, { size, compressedSize: size, compressed: true, uncompressedSize: await gunzipSize(content) })
    } else if (startsWith(head, ZSTD_MAGIC)) {
      for await (const _ of content) void _
      summary.blobs.set(path, { size, compressedSize: size, compressed: true })
    } else {
      const kept = looksLikeJson(head) && size <= JSON_LIMIT ? ([] as Buffer[]) : undefined
      const compressedSize = await gzipSize(kept ? tee(content, kept) : content, level)
      if (kept) summary.json.set(path, Buffer.concat(kept).toString('utf8'))
      summary.blobs.set(path, { size, compressedSize, compressed: false, uncompressedSize: size })
    }
  }
  await feeding
  return summary
}

/** The first chunk of a stream, and the whole stream (that chunk included) to read on. */
async function peek(source: AsyncIterable<Buffer>): Promise<{ head: Buffer; content: AsyncIterable<Buffer> }> {
  const chunks = source[Symbol.asyncIterator]()
  const first = await chunks.next()
  const head: Buffer = first.done ? Buffer.alloc(0) : first.value
  const content = (async function* (): AsyncGenerator<Buffer> {
    yield head
    for (let c = await chunks.next(); !c.done; c = await chunks.next()) yield c.value
  })()
  return { head, content }
}

async function* tee(source: AsyncIterable<Buffer>, into: Buffer[]): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    into.push(chunk)
    yield chunk
  }
}

/** Bytes `source` takes once gzip-compressed at `level`, without keeping them. */
export async function gzipSize(source: AsyncIterable<Buffer>, level: number = zlibConstants.Z_DEFAULT_COMPRESSION): Promise<number> {
  const counter = new ByteCounter()
  await pipeline(source, createGzip({ level, chunkSize: ZLIB_CHUNK }), counter)
  return counter.bytes
}

/** Bytes a gzip stream holds once decompressed, without keeping them. */
export async function gunzipSize(source: AsyncIterable<Buffer>): Promise<number> {
  const counter = new ByteCounter()
  await pipeline(source, createGunzip({ chunkSize: ZLIB_CHUNK }), counter)
  return counter.bytes
}

/** A sink that only counts what is written to it. */
class ByteCounter extends Writable {
  bytes = 0
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length
    done()
  }
}

/** JSON documents start with `{` or `[`; a layer tar starts with a file name. */
function looksLikeJson(head: Buffer): boolean {
  return head[0] === 0x7b || head[0] === 0x5b
}

function startsWith(buffer: Buffer, magic: number[]): boolean {
  return buffer.length >= magic.length && magic.every((byte, i) => buffer[i] === byte)
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the summary (pure)

interface SaveManifestEntry {
  Config: string
  RepoTags?: string[] | null
  Layers: string[]
}

/** The parts of an image config used here. */
export interface ImageConfig {
  history?: { created_by?: string; empty_layer?: boolean }[]
}

/** The image found in a saved archive. */
export interface SavedImage {
  /** `sha256:…` of its config, when the archive's file name gives it. */
  configDigest?: string
  /** Bytes a pull downloads: its layers compressed, plus its config. */
  compressedSize: number
  /** Each layer, oldest first, as the archive holds it. */
  layers: ArchiveBlob[]
  config?: ImageConfig
}

/** The image in the archive tagged `ref`, or else the first one. */
export function savedImage(summary: ArchiveSummary, ref?: string): SavedImage {
  const text = summary.json.get('manifest.json')
  if (!text) throw new Error('The saved image has no manifest.json')
  const entries = JSON.parse(text) as SaveManifestEntry[]
  if (entries.length === 0) throw new Error('The saved image lists no image in manifest.json')
  const entry = entries.find((e) => ref !== undefined && (e.RepoTags ?? []).some((t) => sameTag(t, ref))) ?? entries[0]
  const blob = (path: string): ArchiveBlob => {
    const found = summary.blobs.get(resolveLink(summary.links, posix.normalize(path)))
    if (!found) throw new Error(`The saved image lists ${path} but the archive does not hold it`)
    return found
  }
  const configPath = resolveLink(summary.links, posix.normalize(entry.Config))
  const configSize = blob(configPath).size
  const layers = entry.Layers.map(blob)
  const configText = summary.json.get(configPath)
  const hex = /([0-9a-f]{64})(?:\.json)?$/.exec(configPath)?.[1]
  return {
    configDigest: hex ? `sha256:${hex}` : undefined,
    compressedSize: configSize + layers.reduce((sum, layer) => sum + layer.compressedSize, 0),
    layers,
    config: configText ? (JSON.parse(configText) as ImageConfig) : undefined
  }
}

interface OciDescriptor {
  mediaType?: string
  digest: string
  size: number
  platform?: { os?: string; architecture?: string; variant?: string }
}

interface OciDocument {
  mediaType?: string
  manifests?: OciDescriptor[]
  config?: OciDescriptor
  layers?: OciDescriptor[]
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`
}

/**
 * One platform's image in an OCI archive (what the containerd store saves): index.json, then the image index it
 * names, then that platform's manifest. Sizes are exact: the blobs are the ones a push sends.
 */
export function ociPlatformImage(summary: ArchiveSummary, platform: string): SavedImage {
  const read = (file: string): OciDocument => {
    const text = summary.json.get(file)
    if (!text) throw new Error(`The saved image has no ${file}`)
    return JSON.parse(text) as OciDocument
  }
  const blob = (d: OciDescriptor): ArchiveBlob => {
    const found = summary.blobs.get(blobPath(d.digest))
    if (!found) throw new Error(`The saved image lists ${d.digest} but the archive does not hold it`)
    return found
  }
  let doc = read('index.json')
  for (let depth = 0; depth < 4 && doc.manifests; depth++) {
    const images = doc.manifests.filter((m) => m.platform === undefined || (m.platform.os !== 'unknown' && m.platform.architecture !== 'unknown'))
    const chosen = images.length === 1 && !images[0].platform ? images[0] : images.find((m) => m.platform && samePlatformKey(m.platform, platform))
    if (!chosen) throw new Error(`The saved image has no manifest for ${platform}`)
    doc = read(blobPath(chosen.digest))
  }
  if (!doc.config || !doc.layers) throw new Error(`The saved image's manifest for ${platform} has no config or layers`)
  const layers = doc.layers.map(blob)
  const configText = summary.json.get(blobPath(doc.config.digest))
  return {
    configDigest: doc.config.digest,
    compressedSize: doc.config.size + doc.layers.reduce((sum, l) => sum + l.size, 0),
    layers,
    config: configText ? (JSON.parse(configText) as ImageConfig) : undefined
  }
}

function samePlatformKey(p: { os?: string; architecture?: string; variant?: string }, platform: string): boolean {
  return canonicalPlatform([p.os, p.architecture, p.variant].filter(Boolean).join('/')) === canonicalPlatform(platform)
}

/** Sum of the layers' uncompressed sizes, when every one is known. */
export function uncompressedSize(layers: readonly ArchiveBlob[]): number | undefined {
  let total = 0
  for (const layer of layers) {
    if (layer.uncompressedSize === undefined) return undefined
    total += layer.uncompressedSize
  }
  return total
}

function resolveLink(links: Map<string, string>, path: string): string {
  for (let hops = 0; hops < 16 && links.has(path); hops++) path = links.get(path)!
  return path
}

/**
 * The layers with the instruction that made each, oldest first: the config's history entries that made a layer
 * (`empty_layer` unset), in order, one per layer. Layers the history does not account for are named by position.
 */
export function layerOrigins(history: ImageConfig['history'], layers: readonly Pick<ArchiveBlob, 'compressedSize' | 'uncompressedSize'>[]): LayerOrigin[] {
  const made = (history ?? []).filter((h) => !h.empty_layer)
  return layers.map((layer, i) => {
    const createdBy = made[i]?.created_by
    return { size: layer.uncompressedSize ?? layer.compressedSize, createdBy: createdBy !== undefined ? describeInstruction(createdBy) : `layer ${i + 1}` }
  })
}

/** The `count` largest layers, largest first; earlier layers first among equals. */
export function largestLayers(layers: readonly LayerOrigin[], count: number): LayerOrigin[] {
  return layers
    .map((layer, index) => ({ layer, index }))
    .sort((a, b) => b.layer.size - a.layer.size || a.index - b.index)
    .slice(0, count)
    .map(({ layer }) => layer)
}

/**
 * The instruction as a Dockerfile line (`RUN apk add curl`, `COPY big.bin /data/`), from what the builder
 * recorded. BuildKit records a RUN's build arguments with their values (`RUN |2 TOKEN=… A=b /bin/sh -c …`):
 * they are left out, since a value may be a secret.
 */
export function describeInstruction(createdBy: string): string {
  let text = createdBy.trim().replace(/\s+# buildkit$/, '')
  const withArgs = /^RUN \|(\d+) /.exec(text)
  if (withArgs) {
    const rest = text.slice(withArgs[0].length)
    const shell = rest.search(/(?:^| )\/bin\/sh -c /)
    const count = Number(withArgs[1])
    const hidden = `(${count} build argument${count === 1 ? '' : 's'} not shown)`
    return shell >= 0 ? `RUN ${rest.slice(shell).trim().slice('/bin/sh -c '.length)} ${hidden}` : `RUN … ${hidden}`
  }
  const nop = /^\/bin\/sh -c #\(nop\)\s+(.*)$/s.exec(text)
  if (nop) text = nop[1].trim()
  else if (/^\/bin\/sh -c /.test(text)) text = `RUN ${text.slice('/bin/sh -c '.length)}`
  return text
}

// ---------------------------------------------------------------------------------------------------------------
// Process calls

interface InspectedImage {
  Size: number
  RootFS?: { Layers?: string[] }
}

async function inspectImage(ref: string): Promise<InspectedImage> {
  const out = await docker(['image', 'inspect', '--format', '{{json .}}', ref])
  return JSON.parse(out.stdout) as InspectedImage
}

let containerdStore: Promise<boolean> | undefined

/** Whether the engine keeps images in containerd's store, asked once. */
function usesContainerdStore(): Promise<boolean> {
  containerdStore ??= inspectEngine().then((engine) => engine.containerdStore)
  return containerdStore
}

/** Streams `docker image save` of the image through one pass of `scanArchive`. */
async function scanSavedImage(ref: string): Promise<ArchiveSummary> {
  try {
    return await readStreaming('docker', ['image', 'save', ref], (archive) => scanArchive(archive))
  } catch (error) {
    // A broken archive is most often the tool failing half-way: its own message (a CommandError) says more.
    if (error instanceof CommandError) throw error
    throw new Error(`docker image save ${ref} gave an archive that could not be read: ${(error as Error).message}`, { cause: error })
  }
}
