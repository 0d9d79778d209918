/**
 * Publishing what was tested, and only that: called once every platform passed. A multi-platform image the
 * engine holds (one solve, containerd store) is pushed as it is, its index and manifests unchanged, under each
 * tag; separately built platforms are pushed one by one and joined in one manifest list under every tag. Never
 * throws: the outcome says what was published and why it stopped.
 */
import { docker } from '../docker/exec.js'
import { manifestDigest, platformEntries, readManifest, splitReference, toPlatformManifest } from '../docker/registry.js'
import type { PlatformOutcome, PublishOutcome } from '../pipeline/outcomes.js'
import type { Reporter, RunEnv } from '../pipeline/reporter.js'
import { imagetoolsCreateArgs, parsePushDigest, platformPushRef } from './plan.js'

class PublishError extends Error {}

function lastLine(text: string, fallback: string): string {
  return text.trim().split('\n').at(-1) || fallback
}

/** Pushes `localRef` (the image of `what`) under `ref`; returns the digest the registry reported. */
async function pushAs(localRef: string, ref: string, what: string, env: RunEnv): Promise<string> {
  env.resources.add('images', ref)
  await docker(['tag', localRef, ref])
  try {
    const push = await docker(['push', ref], { allowFailure: true, timeoutMs: 30 * 60_000 })
    if (push.exitCode !== 0) throw new PublishError(`push of ${what} to ${ref} failed: ${lastLine(push.stderr, `exit ${push.exitCode}`)}`)
    const digest = parsePushDigest(push.stdout + push.stderr)
    if (!digest) throw new PublishError(`push to ${ref}: the registry did not report a digest`)
    return digest
  } finally {
    await docker(['image', 'rm', '--no-prune', ref], { allowFailure: true, cleanup: true })
    env.resources.forget('images', ref)
  }
}

/** The platform digests and exact sizes of a list in the registry, checked against what was tested. */
async function readBack(listRef: string, platforms: readonly PlatformOutcome[]): Promise<Pick<PublishOutcome, 'platformDigests' | 'compressedSizes'>> {
  const { repository } = splitReference(listRef)
  const entries = platformEntries(await readManifest(listRef))
  const platformDigests: Record<string, string> = {}
  const compressedSizes: Record<string, number> = {}
  for (const o of platforms) {
    const entry = entries.find((e) => e.platform === o.platform)
    if (!entry) throw new PublishError(`the list ${listRef} has no ${o.platform} image`)
    const manifest = toPlatformManifest(entry.digest, await readManifest(`${repository}@${entry.digest}`))
    const tested = o.size?.configDigest ?? o.build.configDigest
    if (tested && manifest.configDigest !== tested) throw new PublishError(`${listRef} holds config ${manifest.configDigest} for ${o.platform}, not the tested ${tested}`)
    platformDigests[o.platform] = entry.digest
    compressedSizes[o.platform] = manifest.compressedSize
  }
  if (entries.length !== platforms.length) throw new PublishError(`the list ${listRef} holds ${entries.map((e) => e.platform).join(', ')}, not exactly ${platforms.map((o) => o.platform).join(', ')}`)
  return { platformDigests, compressedSizes }
}

/** One image the engine holds for every platform: pushed unchanged under each tag. */
async function publishShared(platforms: readonly PlatformOutcome[], tags: readonly string[], env: RunEnv, published: string[]): Promise<{ digest: string }> {
  const local = platforms[0].build
  let digest = ''
  for (const tag of tags) {
    digest = await pushAs(local.ref, tag, platforms.map((o) => o.platform).join(', '), env)
    published.push(tag)
    if (local.imageId && digest !== local.imageId) throw new PublishError(`${tag} received ${digest}, not the tested image ${local.imageId}`)
  }
  return { digest }
}

/** Platforms built one by one: each pushed under its per-platform tag, then joined under every tag. */
async function publishSeparate(platforms: readonly PlatformOutcome[], tags: readonly string[], env: RunEnv, published: string[]): Promise<{ digest: string }> {
  const { repository } = splitReference(tags[0])
  const digests: string[] = []
  for (const o of platforms) {
    const pushRef = platformPushRef(tags[0], o.platform)
    let digest: string
    try {
      digest = await pushAs(o.build.ref, pushRef, o.platform, env)
    } catch (error) {
      throw error instanceof PublishError ? new PublishError(`${error.message}. No manifest list was created for ${tags.join(', ')}`) : error
    }
    const pushed = toPlatformManifest(digest, await readManifest(`${repository}@${digest}`))
    const tested = o.size?.configDigest ?? o.build.configDigest
    if (!tested || pushed.configDigest !== tested) throw new PublishError(`push of ${o.platform}: the registry holds config ${pushed.configDigest}, not the tested ${tested}`)
    digests.push(digest)
  }
  let digest = ''
  for (const tag of tags) {
    const create = await docker(imagetoolsCreateArgs(tag, repository, digests), { allowFailure: true, timeoutMs: 30 * 60_000 })
    if (create.exitCode !== 0) throw new PublishError(`creating the manifest list ${tag} failed: ${lastLine(create.stderr, '')}`)
    published.push(tag)
    digest = await manifestDigest(tag)
  }
  return { digest }
}

export async function publishVerified(platforms: readonly PlatformOutcome[], tags: readonly string[], env: RunEnv, reporter: Reporter): Promise<PublishOutcome> {
  const published: string[] = []
  try {
    const shared = platforms.length > 1 && platforms.every((o) => o.build.shared)
    const { digest } = shared ? await publishShared(platforms, tags, env, published) : await publishSeparate(platforms, tags, env, published)
    const back = await readBack(tags[0], platforms)
    reporter.info(`Published ${tags.join(', ')} (${digest}): ${platforms.map((o) => `${o.platform}=${back.platformDigests[o.platform]}`).join(', ')}`)
    return { ok: true, digest, ...back, published, restored: [] }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    reporter.warning(`Publishing stopped: ${message}${published.length ? `; already published: ${published.join(', ')}` : '; nothing was published'}`)
    return { ok: false, platformDigests: {}, compressedSizes: {}, published, restored: [], error: message }
  }
}
