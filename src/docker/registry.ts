/**
 * Manifests read from a registry without pulling any layer: an image index (or Docker manifest list) and the
 * manifest of each platform in it. Reads go through `docker buildx imagetools inspect --raw`, which uses the
 * credentials and registry settings of the Docker client.
 */
import { docker } from './exec.js'
import { parseImageRef, tagOf } from './reference.js'

/** A blob a manifest points to. */
export interface BlobDescriptor {
  digest: string
  size: number
}

/** One platform's manifest: what a pull of that platform downloads. */
export interface PlatformManifest {
  /** Digest of the platform's manifest. */
  digest: string
  configDigest: string
  configSize: number
  layers: BlobDescriptor[]
  /** Bytes a pull downloads: every layer as stored in the registry, plus the config. */
  compressedSize: number
}

interface Descriptor {
  mediaType?: string
  digest: string
  size: number
  platform?: { os: string; architecture: string; variant?: string }
  annotations?: Record<string, string>
}

export interface RawManifest {
  mediaType?: string
  manifests?: Descriptor[]
  config?: Descriptor
  layers?: Descriptor[]
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'])

/** The manifest of every platform of `ref` (a tag or a digest reference), keyed like `linux/arm/v7`. Attestation manifests are skipped. */
export async function getPlatformManifests(ref: string): Promise<Map<string, PlatformManifest>> {
  const top = await readManifest(ref)
  const result = new Map<string, PlatformManifest>()
  if (!isIndex(top)) {
    const digest = await manifestDigest(ref)
    result.set(await platformOfConfig(ref), toPlatformManifest(digest, top))
    return result
  }
  const repository = repositoryOf(ref)
  const entries = platformEntries(top)
  const manifests = await Promise.all(entries.map((e) => readManifest(`${repository}@${e.digest}`)))
  entries.forEach((entry, i) => result.set(entry.platform, toPlatformManifest(entry.digest, manifests[i])))
  return result
}

/** The platform descriptors of an index, without attestations (`unknown/unknown`). */
export function platformEntries(index: RawManifest): { platform: string; digest: string }[] {
  return (index.manifests ?? [])
    .filter((m) => m.platform && m.platform.os !== 'unknown' && m.platform.architecture !== 'unknown')
    .filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    .map((m) => ({ platform: platformKey(m.platform!), digest: m.digest }))
}

/** `linux/amd64`, `linux/arm/v7`. */
export function platformKey(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}

/** Sizes of a single-platform manifest. */
export function toPlatformManifest(digest: string, manifest: RawManifest): PlatformManifest {
  if (!manifest.config || !manifest.layers) throw new Error(`Manifest ${digest} is not an image manifest (no config or layers)`)
  const layers = manifest.layers.map((l) => ({ digest: l.digest, size: l.size }))
  return {
    digest,
    configDigest: manifest.config.digest,
    configSize: manifest.config.size,
    layers,
    compressedSize: manifest.config.size + layers.reduce((sum, l) => sum + l.size, 0)
  }
}

export function isIndex(manifest: RawManifest): boolean {
  return (manifest.mediaType !== undefined && INDEX_TYPES.has(manifest.mediaType)) || (manifest.manifests !== undefined && manifest.config === undefined)
}

/** Splits `host:5000/a/b:tag@sha256:…` into repository (as written) and tag (default `latest`). */
export function splitReference(ref: string): { repository: string; tag: string } {
  const parsed = parseImageRef(ref)
  if (!parsed) throw new Error(`${ref} is not an image reference`)
  return { repository: parsed.name, tag: tagOf(parsed) }
}

/** The repository part of a reference: `127.0.0.1:5000/app:v1@sha256:…` → `127.0.0.1:5000/app`. */
export function repositoryOf(ref: string): string {
  return splitReference(ref).repository
}

/** A manifest or index as the registry holds it. */
export async function readManifest(ref: string): Promise<RawManifest> {
  return parseManifest(await inspectRaw(ref))
}

function parseManifest(text: string): RawManifest {
  try {
    return JSON.parse(text) as RawManifest
  } catch {
    throw new Error(`The registry answered with something that is not a manifest: ${text.slice(0, 200)}`)
  }
}

async function inspectRaw(ref: string): Promise<string> {
  return (await docker(['buildx', 'imagetools', 'inspect', '--raw', ref], { timeoutMs: 120_000 })).stdout
}

/** The digest of what `ref` names (a manifest list's own digest for a multi-platform tag). */
export async function manifestDigest(ref: string): Promise<string> {
  const out = await docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest}}', ref], { timeoutMs: 120_000 })
  return (JSON.parse(out.stdout) as Descriptor).digest
}

async function platformOfConfig(ref: string): Promise<string> {
  const out = await docker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Image}}', ref], { timeoutMs: 120_000 })
  const config = JSON.parse(out.stdout) as { os: string; architecture: string; variant?: string }
  return platformKey(config)
}
