/** Where each verified platform is pushed before the manifest list joins them. Pure. */
import { platformSlug } from '../docker/platform.js'

export interface Reference {
  repository: string
  tag: string
}

/** Splits `host:5000/a/b:tag` into repository and tag (default `latest`). */
export function splitReference(ref: string): Reference {
  const at = ref.indexOf('@')
  const noDigest = at >= 0 ? ref.slice(0, at) : ref
  const slash = noDigest.lastIndexOf('/')
  const colon = noDigest.lastIndexOf(':')
  if (colon > slash) return { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) }
  return { repository: noDigest, tag: 'latest' }
}

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

export interface IndexEntry {
  platform: string
  digest: string
}

/** Reads a manifest list / OCI index: the platform entries (attestations skipped). */
export function parseIndex(raw: string): IndexEntry[] {
  const doc = JSON.parse(raw) as { manifests?: { digest: string; platform?: { os: string; architecture: string; variant?: string } }[] }
  return (doc.manifests ?? [])
    .filter((m) => m.platform && m.platform.os !== 'unknown')
    .map((m) => ({ digest: m.digest, platform: [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/') }))
}
