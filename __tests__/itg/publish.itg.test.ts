/**
 * Publishing, all or nothing, against the real registry: destinations checked before anything is uploaded,
 * only the requested tags, and a registry that fails while the tags move (a proxy in front of the real
 * registry refuses one tag): the tags that already moved are put back, and the outcome says what stays.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { errorsOf, runAction } from '../support/action.js'
import { registryProxy, type RegistryProxy } from '../support/registry-proxy.js'
import { catalogHas, dockerOut, imageStore, REGISTRY, registryJson, registryStatus, uniqueName } from '../support/docker.js'
import { leftoverCheck } from '../support/leftovers.js'

const expectClean = leftoverCheck()

const errors = errorsOf

function tagsOf(repo: string): string[] {
  return (registryJson<{ tags: string[] | null }>(`/v2/${repo}/tags/list`).tags ?? []).sort()
}

function digestOf(ref: string): string {
  return (JSON.parse(dockerOut(['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest}}'])) as { digest: string }).digest
}

describe('publishing', () => {
  it('pushes three platforms under exactly the requested tags, and nothing else', async () => {
    const repo = uniqueName('smokestack-itg/only-tags')
    const run = await runAction({
      inputs: {
        context: 'examples/cross-compile',
        platforms: 'linux/amd64,linux/arm64,linux/arm/v7',
        push: 'true',
        tags: `${REGISTRY}/${repo}:1.2.3,${REGISTRY}/${repo}:latest`
      }
    })
    expect(run.exitCode).toBe(0)
    expect(catalogHas(repo)).toBe(true)
    expect(tagsOf(repo)).toEqual(['1.2.3', 'latest'])
    expect(digestOf(`${REGISTRY}/${repo}:1.2.3`)).toBe(run.outputs.digest)
    expect(digestOf(`${REGISTRY}/${repo}:latest`)).toBe(run.outputs.digest)
    expect(run.outputs.published).toBe(`${REGISTRY}/${repo}:1.2.3,${REGISTRY}/${repo}:latest`)
    expectClean(run)
  })

  it('checks every destination first: with the second registry down, nothing reaches the first', async () => {
    const repo = uniqueName('smokestack-itg/two-registries')
    const run = await runAction({ inputs: { context: 'examples/hello-go', push: 'true', tags: `${REGISTRY}/${repo}:1.0.0,127.0.0.1:5999/${repo}:1.0.0` } })
    expect(run.exitCode).toBe(1)
    expect(errors(run)).toMatch(
      /Publishing failed: Nothing was pushed: 1 of 2 destinations cannot be pushed to\.\n- 127\.0\.0\.1:5999\/smokestack-itg\/two-registries-[\w-]+: 127\.0\.0\.1:5999 is unreachable: connect ECONNREFUSED/
    )
    expect(registryStatus(`/v2/${repo}/tags/list`)).toBe(404)
    expect(catalogHas(repo)).toBe(false)
    // Every platform passed and is still reported, with its sizes.
    const results = JSON.parse(run.outputs.results) as Record<string, { status: string; compressedSize: number }>
    expect(results['linux/amd64'].status).toBe('passed')
    expect(results['linux/amd64'].compressedSize).toBeGreaterThan(0)
    expect(run.outputs.digest).toBe('')
    expect(run.outputs.published).toBe('')
    expect(run.summary).toContain('Nothing was published.')
    expect(run.summary).toMatch(/\| `linux\/amd64` \| ✅ passed \|/)
    expectClean(run)
  })

  describe('a registry that fails while the tags move', () => {
    let proxy: RegistryProxy
    beforeAll(async () => {
      proxy = await registryProxy({ refuse: /\/manifests\/2\.0\.0$/ })
    })
    afterAll(() => proxy.close())

    it('puts back a tag that already moved, and says nothing stays published', async () => {
      const repo = uniqueName('smokestack-itg/rollback')
      const first = `127.0.0.1:${proxy.port}/${repo}:latest`
      // The tag as it was: published by an earlier run.
      const earlier = await runAction({ inputs: { context: 'examples/hello-go', push: 'true', tags: first } })
      expect(earlier.exitCode).toBe(0)
      const old = digestOf(`${REGISTRY}/${repo}:latest`)

      const run = await runAction({
        inputs: {
          context: 'examples/cross-compile',
          platforms: 'linux/amd64,linux/arm64',
          push: 'true',
          tags: `${first},127.0.0.1:${proxy.port}/${repo}:2.0.0`
        }
      })
      expect(run.exitCode).toBe(1)
      expect(proxy.refused()).toBeGreaterThan(0)
      expect(digestOf(`${REGISTRY}/${repo}:latest`)).toBe(old)
      expect(registryStatus(`/v2/${repo}/manifests/2.0.0`)).toBe(404)
      expect(errors(run)).toMatch(
        /Publishing failed: publishing 127\.0\.0\.1:\d+\/smokestack-itg\/rollback-[\w-]+:2\.0\.0 to .* failed: 500 UNKNOWN: storage backend failed/
      )
      expect(run.outputs.published).toBe('')
      expect(run.summary).toContain(`Put back as they were: <code>${first}</code>`)
      expectClean(run)
    })

    it('removes a tag it created when a later one fails', async () => {
      const repo = uniqueName('smokestack-itg/rollback-new')
      const run = await runAction({
        inputs: { context: 'examples/hello-go', push: 'true', tags: `127.0.0.1:${proxy.port}/${repo}:1.0.0,127.0.0.1:${proxy.port}/${repo}:2.0.0` }
      })
      expect(run.exitCode).toBe(1)
      expect(registryStatus(`/v2/${repo}/manifests/1.0.0`)).toBe(404)
      expect(registryStatus(`/v2/${repo}/manifests/2.0.0`)).toBe(404)
      expect(run.outputs.published).toBe('')
      expectClean(run)
    })
  })

  it.each([
    ['one platform', 'linux/amd64'],
    ['two platforms', 'linux/amd64,linux/arm64']
  ])('publishes %s with the provenance of the tested images (containerd store), or refuses before building (classic store)', async (_what, platforms) => {
    const repo = uniqueName('smokestack-itg/provenance')
    const run = await runAction({
      inputs: { context: 'examples/cross-compile', platforms, push: 'true', provenance: 'mode=min', tags: `${REGISTRY}/${repo}:1.0.0` }
    })
    if (imageStore() === 'classic') {
      expect(run.exitCode).toBe(1)
      expect(errors(run)).toMatch(/attestations \(type=provenance,mode=min\) cannot be kept with the tested image on the classic image store/)
      expect(registryStatus(`/v2/${repo}/tags/list`)).toBe(404)
      expectClean(run)
      return
    }
    expect(run.exitCode).toBe(0)
    type Entry = { digest: string; platform: { os: string; architecture: string }; annotations?: Record<string, string> }
    const index = registryJson<{ manifests: Entry[] }>(
      `/v2/${repo}/manifests/1.0.0`,
      'application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json'
    )
    const images = index.manifests.filter((m) => m.platform.os !== 'unknown')
    const attestations = index.manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest')
    expect(images.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort()).toEqual(platforms.split(',').sort())
    // One attestation per tested image, naming it; the images are the tested ones.
    expect(attestations.map((a) => a.annotations!['vnd.docker.reference.digest']).sort()).toEqual(images.map((m) => m.digest).sort())
    const results = JSON.parse(run.outputs.results) as Record<string, { digest: string }>
    for (const m of images) expect(results[`${m.platform.os}/${m.platform.architecture}`].digest).toBe(m.digest)
    expectClean(run)
  })

  it('publishes to a registry written in capitals, leaving no other tag', async () => {
    const repo = uniqueName('smokestack-itg/upper')
    const run = await runAction({ inputs: { context: 'examples/hello-go', push: 'true', tags: `LOCALHOST:5000/${repo}:1.0.0` } })
    expect(run.exitCode).toBe(0)
    expect(tagsOf(repo)).toEqual(['1.0.0'])
    expectClean(run)
  })
})
