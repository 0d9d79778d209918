/**
 * Publishing what was tested, and only that: called once every platform passed. The images are read from the
 * engine's own copy (a multi-platform image as it is; separately built platforms joined in a new index), every
 * destination is checked first, everything is uploaded by digest, and only then do the tags move. Never
 * throws: the outcome says what was published and why it stopped.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { RegistryClient, type EngineRegistryConfig } from '../docker/registry-http.js'
import type { PlatformOutcome, PublishOutcome } from '../pipeline/outcomes.js'
import type { Reporter } from '../pipeline/reporter.js'
import { checkDestinations, type ClientFor } from './preflight.js'
import { pushToTags } from './push.js'
import { fromOciIndex, fromSavedImage, joinPlatforms, saveImage, type PushSource } from './source.js'

export interface PublishOptions {
  /** A directory of the run's own for the saved images. */
  spoolDir: string
  /** What the engine says about registries: the insecure ones. */
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
    const parts = []
    for (const [i, o] of platforms.entries()) {
      const dir = path.join(spoolDir, String(i))
      await saveImage(o.build.ref, dir)
      parts.push(await fromSavedImage(dir, o.platform))
    }
    source = joinPlatforms(parts)
  }
  const images = source.manifests.filter((m) => m.platform !== 'unknown/unknown')
  const wanted = platforms.map((o) => o.platform).sort()
  if (images.map((m) => m.platform).sort().join() !== wanted.join()) {
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

export async function publishVerified(platforms: readonly PlatformOutcome[], tags: readonly string[], reporter: Reporter, options: PublishOptions): Promise<PublishOutcome> {
  const clients = new Map<string, RegistryClient>()
  const clientFor: ClientFor = (registry) => {
    let client = clients.get(registry)
    if (!client) clients.set(registry, (client = new RegistryClient(registry, { engine: options.registryConfig })))
    return client
  }
  const failed = (error: string, published: string[] = [], restored: string[] = []): PublishOutcome => ({ ok: false, platformDigests: {}, compressedSizes: {}, published, restored, error })
  try {
    await checkDestinations(tags, clientFor)
    const source = await readTested(platforms, options.spoolDir)
    const pushed = await pushToTags(source, tags, clientFor, (line) => reporter.info(line))
    if (pushed.error) {
      const stays = pushed.left.length ? `; still published: ${pushed.left.join(', ')}` : '; nothing stays published'
      reporter.warning(`Publishing stopped: ${pushed.error}${pushed.restored.length ? `; put back: ${pushed.restored.join(', ')}` : ''}${stays}`)
      return failed(pushed.error, pushed.left, pushed.restored)
    }
    const images = source.manifests.filter((m) => m.platform !== 'unknown/unknown')
    const platformDigests = Object.fromEntries(images.map((m) => [m.platform, m.digest]))
    const compressedSizes = Object.fromEntries(images.map((m) => [m.platform, m.compressedSize]))
    reporter.info(`Published ${tags.join(', ')} (${source.index.digest}): ${images.map((m) => `${m.platform}=${m.digest}`).join(', ')}`)
    return { ok: true, digest: source.index.digest, platformDigests, compressedSizes, published: [...tags], restored: [] }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    reporter.warning(`Publishing stopped: ${message}; nothing was published`)
    return failed(message)
  } finally {
    for (const c of clients.values()) c.close()
    fs.rmSync(options.spoolDir, { recursive: true, force: true })
  }
}
