import { describe, it, expect } from '@jest/globals'
import { createHash } from 'node:crypto'
import { asOciManifest, MEDIA, type SourceManifest } from '../../../src/publish/source.js'

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`
const C = `sha256:${'c'.repeat(64)}`
const L = `sha256:${'1'.repeat(64)}`

function docker(): SourceManifest {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: 10, digest: C },
      layers: [{ mediaType: MEDIA.dockerLayerGzip, size: 20, digest: L }]
    })
  )
  return { digest: sha(bytes), mediaType: MEDIA.dockerManifest, bytes, platform: 'linux/arm64', configDigest: C, blobs: [C, L], compressedSize: 30 }
}

describe('a tested image as an OCI manifest', () => {
  it('names the same config and layers with OCI media types; the config digest stays the tested one', () => {
    const oci = asOciManifest(docker())
    const doc = JSON.parse(oci.bytes.toString()) as {
      mediaType: string
      config: { mediaType: string; digest: string; size: number }
      layers: { mediaType: string; digest: string; size: number }[]
    }
    expect(doc).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, size: 10, digest: C },
      layers: [{ mediaType: MEDIA.ociLayerGzip, size: 20, digest: L }]
    })
    expect(oci).toMatchObject({ mediaType: MEDIA.ociManifest, configDigest: C, blobs: [C, L], compressedSize: 30, platform: 'linux/arm64' })
    expect(oci.digest).toBe(sha(oci.bytes))
    expect(oci.digest).not.toBe(docker().digest)
  })
  it('keeps an OCI manifest as it is, and refuses what is not an image manifest', () => {
    const oci = asOciManifest(docker())
    expect(asOciManifest(oci)).toBe(oci)
    expect(() => asOciManifest({ ...docker(), mediaType: MEDIA.ociIndex })).toThrow(/is application\/vnd\.oci\.image\.index\.v1\+json, not an image manifest/)
  })
})
