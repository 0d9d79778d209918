/** Publishing: push each verified platform, then join them in one manifest list under every tag. */
import * as core from '@actions/core'
import { docker } from '../docker/exec.js'
import type { Tracker } from '../cleanup.js'
import type { PlatformResult } from '../types.js'
import { manifestDigest, platformEntries, readManifest, splitReference, toPlatformManifest } from '../docker/registry.js'
import { imagetoolsCreateArgs, parsePushDigest, platformPushRef } from './plan.js'
import { checkDestinations } from './preflight.js'

export interface PublishOutcome {
  /** Digest of the manifest list. */
  digest: string
  /** Platform → digest of its manifest in the registry. */
  platformDigests: Record<string, string>
  /** Platform → bytes a pull downloads, exact from its manifest. */
  compressedSizes: Record<string, number>
}

/**
 * Pushes every platform (all must have passed), then creates the manifest lists. Throws, naming the
 * platform and tag, when a push fails; no manifest list exists then.
 */
export async function publish(results: PlatformResult[], tags: string[], tracker: Tracker): Promise<PublishOutcome> {
  const failed = results.filter((r) => r.status !== 'passed')
  if (failed.length > 0) throw new Error(`refusing to publish: ${failed.map((r) => r.platform).join(', ')} did not pass`)
  await checkDestinations(tags)
  const { repository } = splitReference(tags[0])
  const platformDigests: Record<string, string> = {}
  const compressedSizes: Record<string, number> = {}
  for (const r of results) {
    const pushRef = platformPushRef(tags[0], r.platform)
    await docker(['tag', r.localRef, pushRef])
    tracker.add('images', pushRef)
    const push = await docker(['push', pushRef], { allowFailure: true, timeoutMs: 30 * 60_000 })
    if (push.exitCode !== 0) {
      const why = push.stderr.trim().split('\n').at(-1) ?? `exit ${push.exitCode}`
      throw new Error(`push of ${r.platform} to ${pushRef} failed: ${why}. No manifest list was created for ${tags.join(', ')}`)
    }
    const digest = parsePushDigest(push.stdout + push.stderr)
    if (!digest) throw new Error(`push of ${r.platform} to ${pushRef}: the registry did not report a digest`)
    const pushed = toPlatformManifest(digest, await readManifest(`${repository}@${digest}`))
    const pushedConfig = pushed.configDigest
    const tested = r.configDigest
    if (!tested || pushedConfig !== tested) {
      throw new Error(`push of ${r.platform}: the registry holds config ${pushedConfig}, not the tested ${tested}; nothing was published under ${tags.join(', ')}`)
    }
    platformDigests[r.platform] = digest
    compressedSizes[r.platform] = pushed.compressedSize
  }
  const sources = results.map((r) => platformDigests[r.platform])
  const expected = results.map((r) => `${r.platform}=${platformDigests[r.platform]}`).sort()
  let digest = ''
  for (const tag of tags) {
    const create = await docker(imagetoolsCreateArgs(tag, repository, sources), { allowFailure: true, timeoutMs: 30 * 60_000 })
    if (create.exitCode !== 0) {
      throw new Error(`creating the manifest list ${tag} failed: ${create.stderr.trim().split('\n').at(-1) ?? ''}`)
    }
    const actual = platformEntries(await readManifest(tag))
      .map((e) => `${e.platform}=${e.digest}`)
      .sort()
    if (expected.join() !== actual.join()) throw new Error(`the manifest list ${tag} holds ${actual.join(', ')}, expected ${expected.join(', ')}`)
    digest = await manifestDigest(tag)
  }
  core.info(`Published ${tags.join(', ')} (${digest}): ${expected.join(', ')}`)
  return { digest, platformDigests, compressedSizes }
}
