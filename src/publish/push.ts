/**
 * Publishing all or nothing. First everything a tag will point at is uploaded to every destination repository,
 * by digest, without a tag: blobs, then the platforms' manifests, then the index. Only then is each tag pointed
 * at the index, one small request each. If one of those fails, the tags already moved are put back as they were
 * (or removed where they did not exist and the registry allows it), and the outcome says exactly what stays.
 */
import * as fs from 'node:fs'
import { isCancelled } from '../docker/exec.js'
import { parseImageRef, repositoryName, tagOf, type ImageReference } from '../docker/reference.js'
import { RegistryClient, RegistryError, registryErrorText, type Answer, type EngineRegistryConfig } from '../docker/registry-http.js'
import type { ClientFor } from './preflight.js'

export type { ClientFor } from './preflight.js'
import { mapLimit } from '../pipeline/concurrency.js'
import type { PushSource, SourceManifest } from './source.js'

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

const UPLOAD_TIMEOUT_MS = 30 * 60_000

export class PushError extends Error {
  override name = 'PushError'
}

/** A client per registry host, opened when first asked for; `close` closes them all. */
export function clientPool(registryConfig: EngineRegistryConfig): { clientFor: ClientFor; close: () => void } {
  const clients = new Map<string, RegistryClient>()
  const clientFor: ClientFor = (registry) => {
    let client = clients.get(registry)
    if (!client) clients.set(registry, (client = new RegistryClient(registry, { engine: registryConfig })))
    return client
  }
  return { clientFor, close: () => clients.forEach((c) => c.close()) }
}

interface Destination {
  ref: ImageReference
  tag: string
  /** As the user wrote it. */
  text: string
}

function fail(what: string, res: Answer): never {
  throw new PushError(`${what}: ${registryErrorText(res)}`)
}

/** A blob to put in a repository: from a file, or only by mounting it from another repository of the registry. */
export interface BlobSource {
  digest: string
  size: number
  file?: string
}

/** Manifests and the blobs they point to, uploaded by digest. */
export interface ImageSet {
  manifests: readonly Pick<SourceManifest, 'digest' | 'mediaType' | 'bytes' | 'platform'>[]
  blobs: ReadonlyMap<string, BlobSource>
}

/** Puts one blob in `repo` unless it is there, mounting it from `from` on the same registry when it can. */
async function ensureBlob(client: RegistryClient, repo: string, blob: BlobSource, from?: string): Promise<void> {
  const { digest } = blob
  const scope = { repository: repo, actions: 'pull,push', ...(from ? { alsoPull: from } : {}) } as const
  const head = await client.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, ...scope })
  if (head.status === 200) return
  const mountQuery = from ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}` : ''
  const start = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/${mountQuery}`, ...scope })
  if (start.status === 201) return
  if (start.status !== 202) fail(`starting the upload of ${digest} to ${client.domain}/${repo}`, start)
  const location = start.headers.location
  if (!location) throw new PushError(`${client.domain} started an upload of ${digest} without saying where to send it`)
  if (blob.file === undefined) {
    await client.request({ method: 'DELETE', path: location, ...scope }).catch(() => undefined)
    throw new PushError(
      `${client.domain} did not mount ${digest} from ${from} into ${repo} (it allows no cross-repository mount there); tag in the records' repository instead`
    )
  }
  const file = blob.file
  const target = new URL(location, `https://${client.endpoint}`)
  target.searchParams.set('digest', digest)
  const url = /^https?:\/\//.test(location) ? target.toString() : `${target.pathname}${target.search}`
  const put = await client.request({
    method: 'PUT',
    path: url,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: { open: () => fs.createReadStream(file), length: blob.size },
    ...scope,
    timeoutMs: UPLOAD_TIMEOUT_MS
  })
  if (put.status !== 201) fail(`uploading ${digest} to ${client.domain}/${repo}`, put)
}

async function putManifest(
  client: RegistryClient,
  repo: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
  expected: string,
  what: string
): Promise<void> {
  const res = await client.request({
    method: 'PUT',
    path: `/v2/${repo}/manifests/${reference}`,
    headers: { 'Content-Type': mediaType },
    body: bytes,
    repository: repo,
    actions: 'pull,push'
  })
  if (res.status !== 201 && res.status !== 200) fail(`${what} to ${client.domain}/${repo} failed`, res)
  const got = res.headers['docker-content-digest']
  if (typeof got === 'string' && got !== expected) throw new PushError(`${client.domain}/${repo} stored ${reference} as ${got}, not ${expected}`)
}

interface Previous {
  /** The tag's manifest before this run, to put back; undefined when the tag did not exist. */
  manifest?: { bytes: Buffer; mediaType: string }
  /** The index was already in the repository before this run (so removing it would remove more than ours). */
  indexExisted: boolean
}

async function previousOf(client: RegistryClient, repo: string, tag: string, indexDigest: string): Promise<Previous> {
  const scope = { repository: repo, actions: 'pull,push' } as const
  const existing = await client.request({ method: 'HEAD', path: `/v2/${repo}/manifests/${indexDigest}`, headers: { Accept: MANIFEST_ACCEPT }, ...scope })
  const res = await client.request({ method: 'GET', path: `/v2/${repo}/manifests/${tag}`, headers: { Accept: MANIFEST_ACCEPT }, ...scope })
  if (res.status === 404) return { indexExisted: existing.status === 200 }
  if (res.status !== 200) fail(`reading the current ${tag} of ${client.domain}/${repo}`, res)
  const mediaType = String(res.headers['content-type'] ?? '').split(';')[0] || MANIFEST_ACCEPT.split(', ')[0]
  return { manifest: { bytes: res.body, mediaType }, indexExisted: existing.status === 200 }
}

function destinationsOf(tags: readonly string[]): Destination[] {
  return tags.map((text) => {
    const ref = parseImageRef(text)
    // The inputs refuse anything else; a reference that is not a tag here is a defect, not a user error.
    if (!ref || ref.digest) throw new Error(`${text} is not a tag to publish to`)
    return { ref, tag: tagOf(ref), text }
  })
}

export interface PushResult {
  published: string[]
  restored: string[]
  /** Tags that still hold the new index after a failure, because they could not be put back. */
  left: string[]
  error?: string
}

function messageOf(error: unknown): string {
  return error instanceof PushError || error instanceof RegistryError ? error.message : String((error as Error).message ?? error)
}

function repositoriesOf(destinations: readonly Destination[]): ImageReference[] {
  return [...new Map(destinations.map((d) => [repositoryName(d.ref), d.ref])).values()]
}

/**
 * Uploads blobs, then manifests, by digest, to every repository; no tag moves. Blobs already on a registry are
 * mounted from `mountFrom` (a repository on it), or from the first repository this upload filled there.
 * Throws a PushError on the first failure.
 */
export async function uploadImages(
  images: ImageSet,
  repositories: readonly ImageReference[],
  clientFor: ClientFor,
  say: (line: string) => void,
  mountFrom?: ImageReference
): Promise<void> {
  const uploadedTo = new Map<string, string>() // registry → a repository holding the blobs
  if (mountFrom) uploadedTo.set(mountFrom.registry, mountFrom.path)
  for (const ref of repositories) {
    const client = clientFor(ref.registry)
    const from = uploadedTo.get(ref.registry)
    await mapLimit([...images.blobs.values()], 4, (blob) => ensureBlob(client, ref.path, blob, from === ref.path ? undefined : from))
    for (const m of images.manifests)
      await putManifest(
        client,
        ref.path,
        m.digest,
        m.mediaType,
        m.bytes,
        m.digest,
        `the upload of the ${m.platform === 'unknown/unknown' ? 'attestation' : m.platform} manifest ${m.digest}`
      )
    if (!uploadedTo.has(ref.registry)) uploadedTo.set(ref.registry, ref.path)
    say(`Uploaded ${images.blobs.size} blobs and ${images.manifests.length} manifests to ${repositoryName(ref)}`)
  }
}

/**
 * Puts `index` by digest in every repository of `tags`, then points each tag at it, last; if one fails, the
 * tags already moved are put back. The manifests it lists must be there already. Never throws.
 */
export async function publishIndex(index: PushSource['index'], tags: readonly string[], clientFor: ClientFor): Promise<PushResult> {
  const published: string[] = []
  const destinations = destinationsOf(tags)
  const previous = new Map<string, Previous>()
  try {
    for (const d of destinations) previous.set(d.text, await previousOf(clientFor(d.ref.registry), d.ref.path, d.tag, index.digest))
    for (const ref of repositoriesOf(destinations)) {
      await putManifest(
        clientFor(ref.registry),
        ref.path,
        index.digest,
        index.mediaType,
        index.bytes,
        index.digest,
        `the upload of the manifest list ${index.digest}`
      )
    }
    // The tags, last; none moves once the run is cancelled.
    for (const d of destinations) {
      if (isCancelled()) throw new PushError('the run was cancelled before every tag was published')
      await putManifest(clientFor(d.ref.registry), d.ref.path, d.tag, index.mediaType, index.bytes, index.digest, `publishing ${d.text}`)
      published.push(d.text)
    }
    return { published, restored: [], left: [] }
  } catch (error) {
    const { restored, left } = await rollBack(published, destinations, previous, index.digest, clientFor)
    return { published: left, restored, left, error: messageOf(error) }
  }
}

/** Uploads `source` to every repository of `tags`, then points every tag at its index. Never throws. */
export async function pushToTags(source: PushSource, tags: readonly string[], clientFor: ClientFor, say: (line: string) => void): Promise<PushResult> {
  try {
    await uploadImages(source, repositoriesOf(destinationsOf(tags)), clientFor, say)
  } catch (error) {
    return { published: [], restored: [], left: [], error: messageOf(error) }
  }
  return publishIndex(source.index, tags, clientFor)
}

/** Puts back the tags that moved: their old manifest, or no tag where there was none (when it can be removed). */
async function rollBack(
  moved: readonly string[],
  destinations: readonly Destination[],
  previous: ReadonlyMap<string, Previous>,
  indexDigest: string,
  clientFor: ClientFor
): Promise<{ restored: string[]; left: string[] }> {
  const restored: string[] = []
  const left: string[] = []
  for (const text of moved) {
    const d = destinations.find((x) => x.text === text)!
    const before = previous.get(text)
    const client = clientFor(d.ref.registry)
    const scope = { repository: d.ref.path, actions: 'pull,push' } as const
    try {
      if (before?.manifest) {
        const res = await client.request({
          method: 'PUT',
          path: `/v2/${d.ref.path}/manifests/${d.tag}`,
          headers: { 'Content-Type': before.manifest.mediaType },
          body: before.manifest.bytes,
          ...scope
        })
        if (res.status === 201 || res.status === 200) {
          restored.push(text)
          continue
        }
      } else if (before && !before.indexExisted) {
        const res = await client.request({ method: 'DELETE', path: `/v2/${d.ref.path}/manifests/${indexDigest}`, ...scope })
        // 404: removed already, by putting back another new tag of the same repository (it removes every tag of it).
        if (res.status === 202 || res.status === 200 || res.status === 404) {
          restored.push(text)
          continue
        }
      }
    } catch {
      // Said below: the tag stays published.
    }
    left.push(text)
  }
  return { restored, left }
}
