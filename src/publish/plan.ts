/** Where each verified platform is pushed before the manifest list joins them. Pure. */
import { platformSlug } from '../docker/platform.js'
import { splitReference } from '../docker/registry.js'

/**
 * Each platform image goes to the first tag's repository under `<tag>-<os>-<arch>[-<variant>]`,
 * the usual per-architecture tag; the manifest lists are created only after every push succeeded.
 */
export function platformPushRef(firstTag: string, platform: string): string {
  const { repository, tag } = splitReference(firstTag)
  const suffix = `-${platformSlug(platform)}`
  return `${repository}:${tag.slice(0, 128 - suffix.length)}${suffix}`
}

/** `docker push` prints `<tag>: digest: sha256:… size: N`. */
export function parsePushDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1]
}

/** One manifest list under one tag (several tags at once can race in the registry: one is created per call). */
export function imagetoolsCreateArgs(tag: string, repository: string, digests: string[]): string[] {
  return ['buildx', 'imagetools', 'create', '--tag', tag, ...digests.map((d) => `${repository}@${d}`)]
}
