/**
 * Publishing what was tested, and only that: called once every platform passed. The images are read from the
 * engine's own copy (a multi-platform image as it is; separately built platforms joined in a new index), every
 * destination is checked first, everything is uploaded by digest, and only then do the tags move. Never
 * throws: the outcome says what was published and why it stopped.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { EngineRegistryConfig } from '../docker/registry-http.js'
import type { PlatformOutcome, PublishOutcome } from '../pipeline/outcomes.js'
import type { Reporter } from '../pipeline/reporter.js'
import { parseImageRef, repositoryName } from '../docker/reference.js'
import { checkDestinations } from './preflight.js'
import { clientPool, pushToTags, uploadImages, type ClientFor } from './push.js'
import {
  asOciManifest,
  fromOciIndex,
  fromOciLayout,
  fromSavedImage,
  joinPlatforms,
  platformImages,
  saveImage,
  type PushSource,
  type SourceManifest
} from './source.js'
import { messageOf } from '../errors.js'

export interface PublishOptions {
  /** A directory of the run's own for the saved images. */
  spoolDir: string
  /** Registries the engine allows over plain HTTP. */
  registryConfig: EngineRegistryConfig
}

/** The saved images of the tested platforms, checked against what was tested. */
async function readTested(platforms: readonly PlatformOutcome[], spoolDir: string): Promise<PushSource> {
  const shared = platforms.length > 1 && platforms.every((o) => o.build.shared)
  let source: PushSource
  if (shared) {
    const dir = path.join(spoolDir, 'all')
    await saveImage(platforms[0].build.ref, dir)
    source = fromOciIndex(dir)
  } else {
    // Saved at once; every save has ended (none still writing into the spool) before a failure is told.
    const parts = await Promise.allSettled(
      platforms.map(async (o, i) => {
        const dir = path.join(spoolDir, String(i))
        await saveImage(o.build.ref, dir)
        return fromOciLayout(dir, o.platform) ?? (await fromSavedImage(dir, o.platform).then(({ manifest, blobs }) => ({ manifests: [manifest], blobs })))
      })
    )
    const refused = parts.find((p) => p.status === 'rejected')
    if (refused) throw refused.reason
    source = joinPlatforms(parts.map((p) => (p as PromiseFulfilledResult<PushSource>).value))
  }
  const images = source.manifests.filter((m) => m.platform !== 'unknown/unknown')
  const wanted = platforms.map((o) => o.platform).sort()
  if (
    images
      .map((m) => m.platform)
      .sort()
      .join() !== wanted.join()
  ) {
    throw new Error(`the image to publish holds ${images.map((m) => m.platform).join(', ')}, not exactly the tested ${wanted.join(', ')}`)
  }
  for (const o of platforms) {
    const tested = o.size?.configDigest ?? o.build.configDigest
    const m = images.find((x) => x.platform === o.platform)!
    if (!tested) throw new Error(`the config of the tested ${o.platform} image is not known, so publishing it could not be proven to ship what was tested`)
    if (m.configDigest !== tested) throw new Error(`the engine now holds config ${m.configDigest} for ${o.platform}, not the tested ${tested}`)
  }
  return source
}

/** A publish that stopped: nothing pushed but what `published` names. */
export function failed(error: string, published: string[] = [], restored: string[] = []): PublishOutcome {
  return { ok: false, platformDigests: {}, compressedSizes: {}, published, restored, error }
}

/**
 * Checks every destination, then runs `work` with a registry client per registry host; the clients are closed
 * and the spool directory removed afterwards. An error becomes a failed outcome, said with `stopped` before it.
 */
async function publishing(
  tags: readonly string[],
  reporter: Reporter,
  options: PublishOptions,
  stopped: (message: string) => string,
  work: (clientFor: ClientFor) => Promise<PublishOutcome>
): Promise<PublishOutcome> {
  const pool = clientPool(options.registryConfig)
  try {
    await checkDestinations(tags, pool.clientFor)
    return await work(pool.clientFor)
  } catch (error) {
    reporter.warning(stopped(messageOf(error)))
    return failed(messageOf(error))
  } finally {
    pool.close()
    fs.rmSync(options.spoolDir, { recursive: true, force: true })
  }
}

function digestsOf(manifests: readonly SourceManifest[]): Pick<PublishOutcome, 'platformDigests' | 'compressedSizes'> {
  const images = manifests.filter((m) => m.platform !== 'unknown/unknown')
  return {
    platformDigests: Object.fromEntries(images.map((m) => [m.platform, m.digest])),
    compressedSizes: Object.fromEntries(images.map((m) => [m.platform, m.compressedSize]))
  }
}

function listed(digests: Record<string, string>): string {
  return Object.entries(digests)
    .map(([p, d]) => `${p}=${d}`)
    .join(', ')
}

export async function publishVerified(
  platforms: readonly PlatformOutcome[],
  tags: readonly string[],
  reporter: Reporter,
  options: PublishOptions
): Promise<PublishOutcome> {
  const stopped = (message: string): string => `Publishing stopped: ${message}; nothing was published`
  return publishing(tags, reporter, options, stopped, async (clientFor) => {
    const source = await readTested(platforms, options.spoolDir)
    const pushed = await pushToTags(source, tags, clientFor, (line) => reporter.info(line))
    if (pushed.error) {
      const stays = pushed.left.length ? `; still published: ${pushed.left.join(', ')}` : '; nothing stays published'
      reporter.warning(`Publishing stopped: ${pushed.error}${pushed.restored.length ? `; put back: ${pushed.restored.join(', ')}` : ''}${stays}`)
      return failed(pushed.error, pushed.left, pushed.restored)
    }
    const digests = digestsOf(source.manifests)
    reporter.info(`Published ${tags.join(', ')} (${source.index.digest}): ${listed(digests.platformDigests)}`)
    return { ok: true, digest: source.index.digest, ...digests, published: [...tags], restored: [] }
  })
}

/**
 * `push: by-digest`: each tested platform's manifest and its blobs, by digest alone, to the one repository
 * `tags` names; no tag, no list (the merge makes the list). Every manifest is an OCI image manifest of the tested
 * config and layers, however the engine keeps it, so that the merge joins manifests of one kind.
 */
export async function publishByDigest(
  platforms: readonly PlatformOutcome[],
  tags: readonly string[],
  reporter: Reporter,
  options: PublishOptions
): Promise<PublishOutcome> {
  const stopped = (message: string): string => `Pushing by digest stopped: ${message}`
  return publishing(tags, reporter, options, stopped, async (clientFor) => {
    const repository = parseImageRef(tags[0])!
    const tested = platformImages(await readTested(platforms, options.spoolDir))
    const images = { ...tested, manifests: tested.manifests.map(asOciManifest) }
    await uploadImages(images, [repository], clientFor, (line) => reporter.info(line))
    const digests = digestsOf(images.manifests)
    reporter.info(`Pushed by digest to ${repositoryName(repository)}: ${listed(digests.platformDigests)}`)
    return { ok: true, ...digests, published: [], restored: [], byDigest: repositoryName(repository) }
  })
}
