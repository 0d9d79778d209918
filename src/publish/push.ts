/**
 * Publishing all or nothing. First everything a tag will point at is uploaded to every destination repository,
 * by digest, without a tag: blobs, then the platforms' manifests, then the index. Only then is each tag pointed
 * at the index, one small request each. If one of those fails, the tags already moved are put back as they were
 * (or removed where they did not exist and the registry allows it), and the outcome says exactly what stays.
 */
import * as fs from 'node:fs'
import { isCancelled } from '../docker/exec.js'
import { parseImageRef, repositoryName, tagOf, type ImageReference } from '../docker/reference.js'
import { RegistryError, registryErrorText, type Answer, type RegistryClient } from '../docker/registry-http.js'
import type { ClientFor } from './preflight.js'
import { mapLimit } from '../pipeline/concurrency.js'
import type { PushSource } from './source.js'

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


interface Destination {
  ref: ImageReference
  tag: string
  /** As the user wrote it. */
  text: string
}

function fail(what: string, res: Answer): never {
  throw new PushError(`${what}: ${registryErrorText(res)}`)
}

/** Uploads one blob to `path` unless it is there, mounting it from `from` on the same registry when it can. */
async function ensureBlob(client: RegistryClient, repo: string, digest: string, file: { size: number; file: string }, from?: string): Promise<void> {
  const scope = { repository: repo, actions: 'pull,push' } as const
  const head = await client.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, ...scope })
  if (head.status === 200) return
  const mountQuery = from ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}` : ''
  const start = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/${mountQuery}`, ...scope })
  if (start.status === 201) return
  if (start.status !== 202) fail(`starting the upload of ${digest} to ${client.domain}/${repo}`, start)
  const location = start.headers.location
  if (!location) throw new PushError(`${client.domain} started an upload of ${digest} without saying where to send it`)
  const target = new URL(location, `https://${client.endpoint}`)
  target.searchParams.set('digest', digest)
  const url = /^https?:\/\//.test(location) ? target.toString() : `${target.pathname}${target.search}`
  const put = await client.request({
    method: 'PUT',
    path: url,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: { open: () => fs.createReadStream(file.file), length: file.size },
    ...scope,
    timeoutMs: UPLOAD_TIMEOUT_MS
  })
  if (put.status !== 201) fail(`uploading ${digest} to ${client.domain}/${repo}`, put)
}

async function putManifest(client: RegistryClient, repo: string, reference: string, mediaType: string, bytes: Buffer, expected: string, what: string): Promise<void> {
  const res = await client.request({ method: 'PUT', path: `/v2/${repo}/manifests/${reference}`, headers: { 'Content-Type': mediaType }, body: bytes, repository: repo, actions: 'pull,push' })
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

/** Uploads `source` to every repository of `tags`, then points every tag at its index. Never throws. */
export async function pushToTags(source: PushSource, tags: readonly string[], clientFor: ClientFor, say: (line: string) => void): Promise<PushResult> {
  const published: string[] = []
  const destinations = destinationsOf(tags)
  const repositories = [...new Map(destinations.map((d) => [repositoryName(d.ref), d.ref])).values()]
  const previous = new Map<string, Previous>()
  try {
    // 1. Everything by digest, in every repository, before any tag moves.
    const uploadedTo = new Map<string, string>() // registry → first repository holding the blobs
    for (const ref of repositories) {
      const client = clientFor(ref.registry)
      const from = uploadedTo.get(ref.registry)
      await mapLimit([...source.blobs.values()], 4, (blob) => ensureBlob(client, ref.path, blob.digest, blob, from))
      for (const m of source.manifests) await putManifest(client, ref.path, m.digest, m.mediaType, m.bytes, m.digest, `the upload of the ${m.platform === 'unknown/unknown' ? 'attestation' : m.platform} manifest ${m.digest}`)
      if (!uploadedTo.has(ref.registry)) uploadedTo.set(ref.registry, ref.path)
      say(`Uploaded ${source.blobs.size} blobs and ${source.manifests.length} manifests to ${repositoryName(ref)}`)
    }
    for (const d of destinations) previous.set(d.text, await previousOf(clientFor(d.ref.registry), d.ref.path, d.tag, source.index.digest))
    for (const ref of repositories) {
      await putManifest(clientFor(ref.registry), ref.path, source.index.digest, source.index.mediaType, source.index.bytes, source.index.digest, `the upload of the manifest list ${source.index.digest}`)
    }
    // 2. The tags, last; none moves once the run is cancelled.
    for (const d of destinations) {
      if (isCancelled()) throw new PushError('the run was cancelled before every tag was published')
      await putManifest(clientFor(d.ref.registry), d.ref.path, d.tag, source.index.mediaType, source.index.bytes, source.index.digest, `publishing ${d.text}`)
      published.push(d.text)
    }
    return { published, restored: [], left: [] }
  } catch (error) {
    const message = error instanceof PushError || error instanceof RegistryError ? error.message : String((error as Error).message ?? error)
    const { restored, left } = await rollBack(published, destinations, previous, source.index.digest, clientFor, say)
    return { published: left, restored, left, error: message }
  }
}

/** Puts back the tags that moved: their old manifest, or no tag where there was none (when it can be removed). */
async function rollBack(
  moved: readonly string[],
  destinations: readonly Destination[],
  previous: ReadonlyMap<string, Previous>,
  indexDigest: string,
  clientFor: ClientFor,
  say: (line: string) => void
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
        const res = await client.request({ method: 'PUT', path: `/v2/${d.ref.path}/manifests/${d.tag}`, headers: { 'Content-Type': before.manifest.mediaType }, body: before.manifest.bytes, ...scope })
        if (res.status === 201 || res.status === 200) {
          restored.push(text)
          continue
        }
      } else if (before && !before.indexExisted) {
        const res = await client.request({ method: 'DELETE', path: `/v2/${d.ref.path}/manifests/${indexDigest}`, ...scope })
        if (res.status === 202 || res.status === 200) {
          restored.push(text)
          continue
        }
      }
    } catch (error) {
      say(`Could not put ${text} back: ${(error as Error).message}`)
    }
    left.push(text)
  }
  return { restored, left }
}
