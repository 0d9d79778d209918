/**
 * The merge's checks in the registry, trusting nothing a record says: the manifest is in the records'
 * repository at the recorded digest (its bytes hash to it), it is an image manifest, its config is the recorded
 * config, and that config's os/architecture/variant is the record's platform. The sizes come from the manifest.
 */
import { createHash } from 'node:crypto'
import { canonicalPlatform } from '../docker/platform.js'
import type { ImageReference } from '../docker/reference.js'
import { registryErrorText, type RegistryClient, type Answer } from '../docker/registry-http.js'
import { MEDIA } from '../publish/source.js'
import type { PlatformRecord } from '../record/record.js'

export interface VerifiedManifest {
  platform: string
  digest: string
  mediaType: string
  bytes: Buffer
  configDigest: string
  /** Config and layers, with their sizes. */
  blobs: { digest: string; size: number }[]
  /** Bytes a pull of this platform downloads, from the manifest. */
  compressedSize: number
}

const IMAGE_MANIFESTS = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest])
const ACCEPT = [MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.ociIndex, MEDIA.dockerList].join(', ')
const DIGEST = /^sha256:[0-9a-f]{64}$/

export class VerifyError extends Error {
  override name = 'VerifyError'
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

interface Descriptor {
  mediaType?: unknown
  digest?: unknown
  size?: unknown
}

function descriptor(d: unknown, what: string): { digest: string; size: number } {
  const x = (d ?? {}) as Descriptor
  if (typeof x.digest !== 'string' || !DIGEST.test(x.digest) || typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0)
    throw new VerifyError(`${what} is not a valid descriptor`)
  return { digest: x.digest, size: x.size }
}

/** GET, following one redirect to blob storage (sent without the registry's credentials). */
async function get(client: RegistryClient, path: string, repository: string, accept?: string): Promise<Answer> {
  const scope = { repository, actions: 'pull' } as const
  const res = await client.request({ method: 'GET', path, ...scope, headers: accept ? { Accept: accept } : undefined })
  const location = res.headers.location
  if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
    return client.request({ method: 'GET', path: new URL(location, `https://${client.endpoint}`).toString(), ...scope })
  }
  return res
}

/** Checks one record's manifest in `repo`; throws a VerifyError saying what does not hold. */
export async function verifyRecord(client: RegistryClient, repo: ImageReference, record: PlatformRecord): Promise<VerifiedManifest> {
  const where = `${repo.registry}/${repo.path}`
  const scope = repo.path
  const digest = record.manifest!.digest
  const res = await get(client, `/v2/${repo.path}/manifests/${digest}`, scope, ACCEPT)
  if (res.status === 404)
    throw new VerifyError(`${record.platform}: manifest ${digest} is not in ${where} (the record names a digest that was never pushed there, or was changed)`)
  if (res.status !== 200) throw new VerifyError(`${record.platform}: reading manifest ${digest} from ${where} failed: ${registryErrorText(res)}`)
  if (sha256(res.body) !== digest)
    throw new VerifyError(`${record.platform}: ${where} answered for ${digest} with a manifest whose digest is ${sha256(res.body)}`)
  let doc: { mediaType?: unknown; config?: unknown; layers?: unknown }
  try {
    doc = JSON.parse(res.body.toString('utf8')) as typeof doc
  } catch {
    throw new VerifyError(`${record.platform}: manifest ${digest} in ${where} is not JSON`)
  }
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : String(res.headers['content-type'] ?? '').split(';')[0]
  if (!IMAGE_MANIFESTS.has(mediaType) || !Array.isArray(doc.layers))
    throw new VerifyError(`${record.platform}: ${digest} in ${where} is not an image manifest (${mediaType || 'no media type'})`)
  const config = descriptor(doc.config, `${record.platform}: the config of ${digest}`)
  const layers = (doc.layers as unknown[]).map((l, i) => descriptor(l, `${record.platform}: layer ${i} of ${digest}`))
  if (config.digest !== record.configDigest)
    throw new VerifyError(`${record.platform}: manifest ${digest} holds config ${config.digest}, not the tested ${record.configDigest}`)

  const blob = await get(client, `/v2/${repo.path}/blobs/${config.digest}`, scope)
  if (blob.status !== 200) throw new VerifyError(`${record.platform}: the config ${config.digest} could not be read from ${where}: ${registryErrorText(blob)}`)
  if (sha256(blob.body) !== config.digest) throw new VerifyError(`${record.platform}: ${where} answered for config ${config.digest} with other bytes`)
  let image: { os?: unknown; architecture?: unknown; variant?: unknown }
  try {
    image = JSON.parse(blob.body.toString('utf8')) as typeof image
  } catch {
    throw new VerifyError(`${record.platform}: the config ${config.digest} is not JSON`)
  }
  const parts = [image.os, image.architecture, image.variant].filter((p) => typeof p === 'string' && p !== '') as string[]
  const platform = parts.length >= 2 ? canonicalPlatform(parts.join('/')) : 'unknown'
  if (platform !== record.platform) throw new VerifyError(`${record.platform}: the image at ${digest} is for ${platform}, not ${record.platform}`)
  return {
    platform,
    digest,
    mediaType,
    bytes: res.body,
    configDigest: config.digest,
    blobs: [config, ...layers],
    compressedSize: config.size + layers.reduce((sum, l) => sum + l.size, 0)
  }
}

/** The list joining the verified manifests: an OCI index for OCI manifests, a Docker list for Docker ones; never mixed. */
export function indexOf(
  manifests: readonly VerifiedManifest[],
  annotations: Readonly<Record<string, string>>
): { digest: string; mediaType: string; bytes: Buffer } {
  const types = [...new Set(manifests.map((m) => m.mediaType))]
  if (types.length > 1) {
    throw new VerifyError(
      `the platforms' manifests are of different kinds (${manifests.map((m) => `${m.platform}: ${m.mediaType}`).join(', ')}); push every platform with the same smokestack version so that they are of one kind`
    )
  }
  const oci = types[0] === MEDIA.ociManifest
  if (!oci && Object.keys(annotations).length) throw new VerifyError('annotations need an OCI image index, and these platforms are Docker manifests')
  const entries = manifests.map((m) => {
    const [os, architecture, variant] = m.platform.split('/')
    return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: { architecture, os, ...(variant ? { variant } : {}) } }
  })
  const doc = oci
    ? { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: entries, ...(Object.keys(annotations).length ? { annotations } : {}) }
    : { schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: entries }
  const bytes = Buffer.from(JSON.stringify(doc))
  return { digest: sha256(bytes), mediaType: doc.mediaType, bytes }
}
