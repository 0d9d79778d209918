/**
 * Images for the fake engine, built in memory: each platform's image is a base layer and an app layer holding a
 * small static ELF program for an architecture, and `docker save` gives them as the engine would: an OCI layout
 * (the containerd image store; several platforms under one index for a multi-platform image) or a classic
 * docker archive. The sizes the pipeline measures from these archives are real numbers, known to the tests.
 */
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { packTar, type TarItem } from '../__tests__/unit/verify/archives.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** `[os, architecture, variant?]` of a platform string. */
function parts(platform: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = platform.split('/')
  return variant ? { os, architecture, variant } : { os, architecture }
}

/** Deterministic filler bytes (a linear congruential sequence): compressible, but not to nothing. */
function filler(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = (x >>> 24) & 0x3f
  }
  return out
}

/**
 * A static ELF executable for `platform` (amd64, arm64: ELF64; 386, arm/v7: ELF32, arm with the hard-float flag),
 * one PT_LOAD segment, padded with filler to `size` bytes. Enough for the image doctor to read it as what it is.
 */
export function staticElf(platform: string, size = 8192): Buffer {
  const arch = parts(platform).architecture
  const wide = arch === 'amd64' || arch === 'arm64'
  const machine = ({ amd64: 62, arm64: 183, arm: 40, '386': 3 } as Record<string, number>)[arch] ?? 0
  if (machine === 0) throw new Error(`staticElf: no machine code for ${platform}`)
  const header = Buffer.alloc(wide ? 64 + 56 : 52 + 32)
  header.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, 1, 1])
  header.writeUInt16LE(2, 16) // ET_EXEC
  header.writeUInt16LE(machine, 18)
  header.writeUInt32LE(1, 20)
  if (wide) {
    header.writeBigUInt64LE(0x401000n, 24) // e_entry
    header.writeBigUInt64LE(64n, 32) // e_phoff
    header.writeUInt16LE(64, 52) // e_ehsize
    header.writeUInt16LE(56, 54) // e_phentsize
    header.writeUInt16LE(1, 56) // e_phnum
    header.writeUInt16LE(64, 58) // e_shentsize
    header.writeUInt32LE(1, 64) // PT_LOAD
    header.writeUInt32LE(5, 68) // R+X
    header.writeBigUInt64LE(0x400000n, 80) // p_vaddr
    header.writeBigUInt64LE(BigInt(size), 96) // p_filesz
    header.writeBigUInt64LE(BigInt(size), 104) // p_memsz
    header.writeBigUInt64LE(0x1000n, 112) // p_align
  } else {
    header.writeUInt32LE(0x10000, 24) // e_entry
    header.writeUInt32LE(52, 28) // e_phoff
    if (machine === 40) header.writeUInt32LE(0x05000400, 36) // EABI5, hard-float
    header.writeUInt16LE(52, 40) // e_ehsize
    header.writeUInt16LE(32, 42) // e_phentsize
    header.writeUInt16LE(1, 44) // e_phnum
    header.writeUInt16LE(40, 46) // e_shentsize
    header.writeUInt32LE(1, 52) // PT_LOAD
    header.writeUInt32LE(0x8000, 60) // p_vaddr
    header.writeUInt32LE(size, 68) // p_filesz
    header.writeUInt32LE(size, 72) // p_memsz
    header.writeUInt32LE(5, 76) // R+X
    header.writeUInt32LE(0x1000, 80) // p_align
  }
  return Buffer.concat([header, filler(Math.max(0, size - header.length), machine)])
}

/** What one platform's image holds. */
export interface ImageSpec {
  platform: string
  /** Architecture of the program `/app` (default: the platform's own; another one makes an arch-mismatch). */
  programPlatform?: string
  /** Bytes of `/app`. */
  programBytes?: number
  entrypoint?: string[] | null
  cmd?: string[] | null
}

/** One platform's image as blobs, with the figures the pipeline should measure. */
export interface BuiltImage {
  platform: string
  config: Buffer
  configDigest: string
  /** The layers as uncompressed tars. */
  layerTars: Buffer[]
  /** The same layers gzip-compressed, as the OCI layout stores them. */
  layerBlobs: Buffer[]
  manifest: Buffer
  manifestDigest: string
  /** The image config's `config` part (Entrypoint, Cmd, Env …), as `docker image inspect` shows it. */
  runConfig: Record<string, unknown>
  /** Sum of the uncompressed layer tars: the size on disk the pipeline reports. */
  uncompressedBytes: number
  /** Config plus gzip layers: what a pull downloads (on the classic store too: its layers gzip to these). */
  compressedBytes: number
}

/** Builds one platform's image. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const program = staticElf(spec.programPlatform ?? spec.platform, spec.programBytes)
  const base: TarItem[] = [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/os-release', content: 'ID=fake\nNAME="Fake base"\n' },
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/app\n' },
    { name: 'data.bin', content: filler(4096, 7) }
  ]
  const app: TarItem[] = [{ name: 'app', mode: 0o755, content: program }]
  const layerTars = [await packTar(base), await packTar(app)]
  const layerBlobs = layerTars.map((t) => gzipSync(t))
  const runConfig: Record<string, unknown> = {
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Entrypoint: spec.entrypoint === undefined ? ['/app'] : spec.entrypoint,
    Cmd: spec.cmd ?? null,
    WorkingDir: '/'
  }
  const config = Buffer.from(
    JSON.stringify({
      ...parts(spec.platform),
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: layerTars.map((t) => `sha256:${sha(t)}`) },
      history: [
        { created_by: 'COPY rootfs / # buildkit' },
        { created_by: 'ENTRYPOINT ["/app"]', empty_layer: true },
        { created_by: 'COPY /out/app /app # buildkit' }
      ]
    })
  )
  const configDigest = `sha256:${sha(config)}`
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layerBlobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(b)}`, size: b.length }))
    })
  )
  return {
    platform: spec.platform,
    config,
    configDigest,
    layerTars,
    layerBlobs,
    manifest,
    manifestDigest: `sha256:${sha(manifest)}`,
    runConfig,
    uncompressedBytes: layerTars.reduce((s, t) => s + t.length, 0),
    compressedBytes: config.length + layerBlobs.reduce((s, b) => s + b.length, 0)
  }
}

/** The image index of several platforms' images. */
export function imageIndex(images: readonly BuiltImage[]): { index: Buffer; digest: string } {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: images.map((i) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: i.manifestDigest,
        size: i.manifest.length,
        platform: parts(i.platform)
      }))
    })
  )
  return { index, digest: `sha256:${sha(index)}` }
}

/**
 * `docker save` on the containerd image store: an OCI layout whose index.json names the image (an index of its
 * platforms, or one platform's manifest), with a manifest.json listing each platform's config and layers.
 */
export async function ociSave(ref: string, images: readonly BuiltImage[]): Promise<Buffer> {
  const blob = (b: Buffer): TarItem => ({ name: `blobs/sha256/${sha(b)}`, content: b })
  const items: TarItem[] = [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' }
  ]
  for (const i of images) items.push(...i.layerBlobs.map(blob), blob(i.config), blob(i.manifest))
  const annotations = { 'io.containerd.image.name': ref }
  let top
  if (images.length === 1) {
    top = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: images[0].manifestDigest, size: images[0].manifest.length, annotations }
  } else {
    const { index, digest } = imageIndex(images)
    items.push(blob(index))
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: index.length, annotations }
  }
  const manifestJson = images.map((i) => ({
    Config: `blobs/sha256/${i.configDigest.slice(7)}`,
    RepoTags: [ref],
    Layers: i.layerBlobs.map((b) => `blobs/sha256/${sha(b)}`)
  }))
  items.push(
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [top] }) },
    { name: 'manifest.json', content: JSON.stringify(manifestJson) }
  )
  return packTar(items)
}

/**
 * `docker save` on the classic store: one platform, each layer as `<id>/layer.tar` (uncompressed, the very tars
 * of the image, so a pull's size is the same on both stores), and `manifest.json` naming the image by its tag.
 */
export function classicSave(ref: string, image: BuiltImage): Promise<Buffer> {
  const items: TarItem[] = []
  const layerPaths = image.layerTars.map((tarBytes) => {
    const id = sha(tarBytes)
    items.push({ name: `${id}/`, type: 'directory' }, { name: `${id}/layer.tar`, content: tarBytes })
    return `${id}/layer.tar`
  })
  const configName = `${image.configDigest.slice(7)}.json`
  items.push(
    { name: configName, content: image.config },
    { name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: layerPaths }]) }
  )
  return packTar(items)
}
