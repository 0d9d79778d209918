import { describe, it, expect } from '@jest/globals'
import { isIndex, platformEntries, platformKey, repositoryOf, toPlatformManifest } from '../../../src/docker/registry.js'

describe('registry manifests', () => {
  const index = {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:a', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:b', size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:c',
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': 'sha256:a' }
      }
    ]
  }

  it('lists the platforms of an index, without attestations', () => {
    expect(isIndex(index)).toBe(true)
    expect(platformEntries(index)).toEqual([
      { platform: 'linux/amd64', digest: 'sha256:a' },
      { platform: 'linux/arm/v7', digest: 'sha256:b' }
    ])
  })
  it('recognizes a Docker manifest list and a plain manifest', () => {
    expect(isIndex({ mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [] })).toBe(true)
    expect(isIndex({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: 'x', size: 1 }, layers: [] })).toBe(false)
  })
  it('sums the layers and the config of a manifest', () => {
    const m = toPlatformManifest('sha256:a', {
      config: { digest: 'sha256:cfg', size: 1_500 },
      layers: [
        { digest: 'sha256:l1', size: 2_800_000 },
        { digest: 'sha256:l2', size: 4_100_000 }
      ]
    })
    expect(m).toEqual({
      digest: 'sha256:a',
      configDigest: 'sha256:cfg',
      configSize: 1_500,
      layers: [
        { digest: 'sha256:l1', size: 2_800_000 },
        { digest: 'sha256:l2', size: 4_100_000 }
      ],
      compressedSize: 6_901_500
    })
    expect(() => toPlatformManifest('sha256:x', index)).toThrow('is not an image manifest')
  })
  it('finds the repository of a reference', () => {
    expect(repositoryOf('127.0.0.1:5000/app:v1')).toBe('127.0.0.1:5000/app')
    expect(repositoryOf('127.0.0.1:5000/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toBe('127.0.0.1:5000/app')
    expect(repositoryOf('127.0.0.1:5000/team/app:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toBe('127.0.0.1:5000/team/app')
    expect(repositoryOf('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app')
    expect(repositoryOf('alpine')).toBe('alpine')
    expect(platformKey({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8')
  })
})
