/**
 * What is published, read from the engine's own copy of the tested images (`docker save`), so that the
 * registry receives exactly what was examined and started: the same configs and layers. A multi-platform image
 * of the containerd store is taken as it is, its index and manifests unchanged; images built one platform at a
 * time are joined in a new index. Layers the engine keeps uncompressed (classic store) are gzip-compressed
 * once here, as `docker push` would.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform, type Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import * as tar from 'tar-stream'
import { CommandError, readStreaming } from '../docker/exec.js'
import { canonicalPlatform } from '../docker/platform.js'

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd'
} as const

export interface BlobFile {
  digest: string
  size: number
  file: string
}

export interface SourceManifest {
  /** The annotations its index gave it (an attestation manifest names its image there). */
  annotations?: Record<string, string>
  digest: string
  mediaType: string
  bytes: Buffer
  /** `linux/arm64`; `unknown/unknown` for an attestation manifest. */
  platform: string
  configDigest: string
  /** Config and layers, in that order. */
  blobs: string[]
  /** Bytes a pull of this platform downloads: config and layers. */
  compressedSize: number
}

export interface PushSource {
  index: { digest: string; mediaType: string; bytes: Buffer }
  manifests: SourceManifest[]
  blobs: Map<string, BlobFile>
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** Saves `ref` from the engine into `dir` (created), unpacking only the archive's own files. */
export async function saveImage(ref: string, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true })
  try {
    await readStreaming('docker', ['image', 'save', ref], (archive) => extractInto(archive, dir))
  } catch (error) {
    if (error instanceof CommandError) throw error
    throw new Error(`docker image save ${ref} failed: ${(error as Error).message}`, { cause: error })
  }
}

/** Writes the plain files of a tar stream under `dir`; any other entry, or a name that could leave `dir`, is skipped. */
async function extractInto(archive: Readable, dir: string): Promise<void> {
  const extract = tar.extract()
  const feeding = pipeline(archive, extract)
  feeding.catch(() => undefined)
  for await (const entry of extract) {
    const name = path.posix.normalize(entry.header.name)
    if (entry.header.type !== 'file' || name.startsWith('..') || path.posix.isAbsolute(name) || !/^[\w./-]+$/.test(name)) {
      entry.resume()
      continue
    }
    const target = path.join(dir, name)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    await pipeline(entry, fs.createWriteStream(target))
  }
  await feeding
}

interface Descriptor {
  mediaType?: string
  digest: string
  size: number
  platform?: { os?: string; architecture?: string; variant?: string }
  annotations?: Record<string, string>
}

interface Doc {
  mediaType?: string
  manifests?: Descriptor[]
  config?: Descriptor
  layers?: Descriptor[]
}

function platformKey(p: Descriptor['platform']): string {
  if (!p || !p.os || !p.architecture) return 'unknown/unknown'
  if (p.os === 'unknown') return 'unknown/unknown'
  return canonicalPlatform([p.os, p.architecture, p.variant].filter(Boolean).join('/'))
}

function blobFile(dir: string, digest: string): BlobFile {
  const file = path.join(dir, 'blobs', ...digest.split(':'))
  const size = fs.statSync(file).size
  return { digest, size, file }
}

function readDoc(file: string): Doc {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Doc
}

function manifestFrom(dir: string, d: Descriptor, platform: string, blobs: Map<string, BlobFile>): SourceManifest {
  const bytes = fs.readFileSync(path.join(dir, 'blobs', ...d.digest.split(':')))
  const doc = JSON.parse(bytes.toString('utf8')) as Doc
  if (!doc.config || !doc.layers) throw new Error(`the saved manifest ${d.digest} has no config or layers`)
  for (const b of [doc.config, ...doc.layers]) blobs.set(b.digest, blobFile(dir, b.digest))
  return {
    digest: d.digest,
    mediaType: doc.mediaType ?? d.mediaType ?? MEDIA.ociManifest,
    bytes,
    platform,
    configDigest: doc.config.digest,
    blobs: [doc.config.digest, ...doc.layers.map((l) => l.digest)],
    compressedSize: doc.config.size + doc.layers.reduce((sum, l) => sum + l.size, 0)
  }
}

/**
 * A saved multi-platform image (an OCI layout with an image index) as it is: the index's exact bytes, and every
 * manifest it lists (attestations included), each with its blobs.
 */
export function fromOciIndex(dir: string): PushSource {
  let doc = readDoc(path.join(dir, 'index.json'))
  let index: { digest: string; mediaType: string; bytes: Buffer } | undefined
  // index.json names the image's own index (or, for one platform, its manifest).
  for (let depth = 0; depth < 3 && doc.manifests?.length === 1 && !doc.manifests[0].platform; depth++) {
    const d = doc.manifests[0]
    const bytes = fs.readFileSync(path.join(dir, 'blobs', ...d.digest.split(':')))
    const next = JSON.parse(bytes.toString('utf8')) as Doc
    if (!next.manifests) break
    index = { digest: d.digest, mediaType: next.mediaType ?? d.mediaType ?? MEDIA.ociIndex, bytes }
    doc = next
  }
  if (!index || !doc.manifests) throw new Error('the saved image is not a multi-platform image (no image index)')
  const blobs = new Map<string, BlobFile>()
  const manifests = doc.manifests.map((d) => ({
    ...manifestFrom(dir, d, platformKey(d.platform), blobs),
    ...(d.annotations ? { annotations: d.annotations } : {})
  }))
  return { index, manifests, blobs }
}

const COMPRESSED_LAYER = /(\.tar\.gzip|\+gzip|\+zstd)$/

/**
 * One platform's saved image as the engine keeps it, when its OCI layout holds compressed layers (the containerd
 * store): its own manifest, and any attestation manifests with it, unchanged. Undefined when the layout keeps
 * plain tars (the classic store), which {@link fromSavedImage} compresses.
 */
export function fromOciLayout(dir: string, platform: string): { manifests: SourceManifest[]; blobs: Map<string, BlobFile> } | undefined {
  if (!fs.existsSync(path.join(dir, 'index.json'))) return undefined
  let entries: Descriptor[] = readDoc(path.join(dir, 'index.json')).manifests ?? []
  for (let depth = 0; depth < 3 && entries.length === 1 && !entries[0].platform; depth++) {
    const next = readDoc(path.join(dir, 'blobs', ...entries[0].digest.split(':')))
    if (!next.manifests) break
    entries = next.manifests
  }
  const blobs = new Map<string, BlobFile>()
  const manifests = entries.map((d) => {
    const m = manifestFrom(dir, d, d.platform ? platformKey(d.platform) : platform, blobs)
    return d.annotations ? { ...m, annotations: d.annotations } : m
  })
  const layers = manifests
    .filter((m) => m.platform !== 'unknown/unknown')
    .flatMap((m) => ((JSON.parse(m.bytes.toString('utf8')) as Doc).layers ?? []).map((l) => l.mediaType ?? ''))
  return layers.every((t) => COMPRESSED_LAYER.test(t)) ? { manifests, blobs } : undefined
}

/** Gzip-compresses `file` into `dir`, hashing the output as it is written. */
async function gzipInto(file: string, dir: string): Promise<BlobFile> {
  const hash = createHash('sha256')
  let size = 0
  const tmp = path.join(dir, `gzip-${path.basename(file)}-${process.hrtime.bigint()}`)
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk)
      size += chunk.length
      done(null, chunk)
    }
  })
  await pipeline(fs.createReadStream(file), createGzip(), count, fs.createWriteStream(tmp))
  const digest = `sha256:${hash.digest('hex')}`
  const target = path.join(dir, 'blobs', 'sha256', digest.slice(7))
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.renameSync(tmp, target)
  return { digest, size, file: target }
}

function startsWith(file: string, magic: number[]): boolean {
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(magic.length)
    fs.readSync(fd, head, 0, magic.length, 0)
    return magic.every((b, i) => head[i] === b)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * One platform's saved image through the archive's `manifest.json` (both stores write it): its config as it
 * is, its layers as the engine keeps them, compressed once with gzip where they are plain tars.
 */
export async function fromSavedImage(dir: string, platform: string): Promise<{ manifest: SourceManifest; blobs: Map<string, BlobFile> }> {
  const entries = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[]
  if (entries.length === 0) throw new Error('the saved image lists no image')
  const configBytes = fs.readFileSync(path.join(dir, entries[0].Config))
  const config = { digest: sha256(configBytes), size: configBytes.length, file: path.join(dir, entries[0].Config) }
  const blobs = new Map<string, BlobFile>([[config.digest, config]])
  const layers: { mediaType: string; digest: string; size: number }[] = []
  for (const layer of entries[0].Layers) {
    const file = path.join(dir, layer)
    let blob: BlobFile
    let mediaType: string
    if (startsWith(file, [0x1f, 0x8b])) {
      const bytes = fs.readFileSync(file)
      blob = { digest: sha256(bytes), size: bytes.length, file }
      mediaType = MEDIA.dockerLayerGzip
    } else if (startsWith(file, [0x28, 0xb5, 0x2f, 0xfd])) {
      const bytes = fs.readFileSync(file)
      blob = { digest: sha256(bytes), size: bytes.length, file }
      mediaType = MEDIA.ociLayerZstd
    } else {
      blob = await gzipInto(file, dir)
      mediaType = MEDIA.dockerLayerGzip
    }
    blobs.set(blob.digest, blob)
    layers.push({ mediaType, digest: blob.digest, size: blob.size })
  }
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: config.size, digest: config.digest },
      layers
    })
  )
  const manifest: SourceManifest = {
    digest: sha256(bytes),
    mediaType: MEDIA.dockerManifest,
    bytes,
    platform,
    configDigest: config.digest,
    blobs: [config.digest, ...layers.map((l) => l.digest)],
    compressedSize: config.size + layers.reduce((sum, l) => sum + l.size, 0)
  }
  return { manifest, blobs }
}

/** Docker media types and their OCI equivalents: the same bytes, named by the OCI image spec. */
const OCI_TYPE: Readonly<Record<string, string>> = {
  [MEDIA.dockerConfig]: MEDIA.ociConfig,
  [MEDIA.dockerLayerGzip]: MEDIA.ociLayerGzip,
  'application/vnd.docker.image.rootfs.diff.tar': 'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'
}

/**
 * The same image as an OCI image manifest: config and layers untouched (so the config digest stays the tested
 * one), only the media types named the OCI way. An OCI manifest is returned as it is.
 */
export function asOciManifest(m: SourceManifest): SourceManifest {
  if (m.mediaType === MEDIA.ociManifest) return m
  if (m.mediaType !== MEDIA.dockerManifest) throw new Error(`the ${m.platform} manifest ${m.digest} is ${m.mediaType}, not an image manifest`)
  const doc = JSON.parse(m.bytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] }
  const oci = (d: Descriptor): Descriptor => ({ ...d, mediaType: OCI_TYPE[d.mediaType ?? ''] ?? d.mediaType })
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: oci(doc.config), layers: doc.layers.map(oci) }))
  return { ...m, digest: sha256(bytes), mediaType: MEDIA.ociManifest, bytes }
}

/** The platforms' manifests of `source` and only their blobs: no index, no attestation. */
export function platformImages(source: PushSource): { manifests: SourceManifest[]; blobs: Map<string, BlobFile> } {
  const manifests = source.manifests.filter((m) => m.platform !== 'unknown/unknown')
  const blobs = new Map<string, BlobFile>()
  for (const m of manifests) for (const d of m.blobs) blobs.set(d, source.blobs.get(d)!)
  return { manifests, blobs }
}

/**
 * A new list joining images built one platform at a time (their attestation manifests with them): a Docker
 * manifest list when every manifest is a Docker one, else an OCI image index, the Docker ones named the OCI way.
 */
export function joinPlatforms(parts: { manifests: SourceManifest[]; blobs: Map<string, BlobFile> }[]): PushSource {
  const blobs = new Map<string, BlobFile>()
  for (const p of parts) for (const [d, b] of p.blobs) blobs.set(d, b)
  const all = parts.flatMap((p) => p.manifests)
  const docker = all.every((m) => m.mediaType === MEDIA.dockerManifest)
  const manifests = docker ? all : all.map((m) => (m.mediaType === MEDIA.dockerManifest ? asOciManifest(m) : m))
  const entries = manifests.map((m) => {
    const [os, architecture, variant] = m.platform.split('/')
    return {
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.bytes.length,
      platform: { architecture, os, ...(variant ? { variant } : {}) },
      ...(m.annotations ? { annotations: m.annotations } : {})
    }
  })
  const mediaType = docker ? MEDIA.dockerList : MEDIA.ociIndex
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }))
  return { index: { digest: sha256(bytes), mediaType, bytes }, manifests, blobs }
}
