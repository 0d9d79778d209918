/**
 * "The registry" of the fake engine, as `docker buildx imagetools inspect --raw` reads it: each baseline image is
 * an index of per-platform manifests whose config and layer sizes add up to the compressed size the test gave.
 */
import { createHash } from 'node:crypto'
import type { Answer } from './docker-engine.js'

const digestOf = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`

/** Bytes of each baseline manifest's config; the rest of a platform's size is its one layer. */
const CONFIG_BYTES = 600

function platformFields(platform: string): Record<string, string> {
  const [os, architecture, variant] = platform.split('/')
  return variant ? { os, architecture, variant } : { os, architecture }
}

/** `host:5000/app:tag` → `host:5000/app`. */
function repositoryOf(ref: string): string {
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  return colon > slash ? ref.slice(0, colon) : ref
}

/** The answer to `docker buildx imagetools …` from `registry` (reference → platform → compressed bytes). */
export function manifestsOf(registry: Readonly<Record<string, Readonly<Record<string, number>>>>, args: readonly string[]): Answer {
  const ref = args.at(-1)!
  if (args[2] !== 'inspect' || !args.includes('--raw')) return { exitCode: 1, stdout: '', stderr: `ERROR: fake registry: only inspect --raw is served\n` }
  const index = registry[ref]
  if (index) {
    const manifests = Object.keys(index).map((p) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: digestOf(`${ref} ${p}`),
      size: 500,
      platform: platformFields(p)
    }))
    return { exitCode: 0, stdout: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }), stderr: '' }
  }
  const [repository, digest] = ref.split('@')
  for (const [name, platforms] of Object.entries(registry)) {
    if (repositoryOf(name) !== repository) continue
    for (const [p, bytes] of Object.entries(platforms)) {
      if (digestOf(`${name} ${p}`) !== digest) continue
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(`${name} ${p} config`), size: CONFIG_BYTES },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(`${name} ${p} layer`), size: bytes - CONFIG_BYTES }]
      }
      return { exitCode: 0, stdout: JSON.stringify(manifest), stderr: '' }
    }
  }
  return { exitCode: 1, stdout: '', stderr: `ERROR: ${ref}: not found\n` }
}
