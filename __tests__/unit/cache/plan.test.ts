import { describe, expect, it } from '@jest/globals'
import {
  cacheArgsAfterRestore,
  cacheBuildArgsFor,
  cacheKey,
  cacheServiceAvailable,
  cacheServiceVersion,
  planCache,
  type CachePlanInput
} from '../../../src/cache/plan.js'

const base: CachePlanInput = {
  mode: 'auto',
  extraKey: '',
  inActions: true,
  serviceAvailable: true,
  driver: 'docker',
  containerdStore: true,
  os: 'Linux',
  platforms: ['linux/arm64', 'linux/amd64'],
  dockerfileHash: 'a'.repeat(64),
  lockfilesHash: 'b'.repeat(64),
  tempDir: '/runner/_temp'
}

describe('planCache', () => {
  it('turns the cache on for the docker driver on the containerd store, with local cache flags', () => {
    const plan = planCache(base)
    if (!plan.enabled) throw new Error(plan.reason)
    expect(plan.key).toMatch(/^smokestack-linux-docker-linux\/amd64\+linux\/arm64-default-[0-9a-f]{24}$/)
    expect(plan.restoreKeys).toEqual(['smokestack-linux-docker-linux/amd64+linux/arm64-default-'])
    expect(plan.key.startsWith(plan.restoreKeys[0])).toBe(true)
    expect(plan.buildArgs).toEqual([
      '--cache-from',
      'type=local,src=/runner/_temp/smokestack-cache/from',
      '--cache-to',
      'type=local,dest=/runner/_temp/smokestack-cache/to,mode=max'
    ])
    expect(new Set([plan.archiveDir, plan.restoreDir, plan.saveDir]).size).toBe(3)
  })

  it.each(['docker-container', 'remote', 'kubernetes'])('turns the cache on for the %s driver whatever the image store', (driver) => {
    expect(planCache({ ...base, driver, containerdStore: false }).enabled).toBe(true)
  })

  it('turns the cache off for the docker driver on the classic store, saying how to fix it', () => {
    const plan = planCache({ ...base, containerdStore: false })
    expect(plan).toEqual({
      enabled: false,
      warn: false,
      reason:
        'Build cache is off: the "docker" driver on the classic image store cannot export cache; enable the containerd image store (dockerd "features": {"containerd-snapshotter": true}) or use a docker-container builder (docker/setup-buildx-action).'
    })
  })

  it('makes the same line a warning when the cache was asked for explicitly', () => {
    const plan = planCache({ ...base, mode: 'true', containerdStore: false })
    expect(plan.enabled).toBe(false)
    if (!plan.enabled) {
      expect(plan.warn).toBe(true)
      expect(plan.reason).toContain('classic image store')
      expect(plan.reason.split('\n')).toHaveLength(1)
    }
  })

  it('stays off with cache: false even when everything else could work', () => {
    const plan = planCache({ ...base, mode: 'false' })
    expect(plan.enabled).toBe(false)
    if (!plan.enabled) expect(plan.reason).toMatch(/"cache" input is false.*auto or true/)
  })

  it('in auto mode stays off outside Actions, but cache: true works wherever the service is configured', () => {
    const outside = planCache({ ...base, inActions: false })
    expect(outside.enabled).toBe(false)
    if (!outside.enabled) expect(outside.warn).toBe(false)
    expect(planCache({ ...base, mode: 'true', inActions: false }).enabled).toBe(true)
  })

  it('stays off without the cache service, warning only when asked for', () => {
    const auto = planCache({ ...base, serviceAvailable: false })
    const explicit = planCache({ ...base, mode: 'true', serviceAvailable: false })
    expect(auto.enabled || explicit.enabled).toBe(false)
    if (!auto.enabled && !explicit.enabled) {
      expect(auto.warn).toBe(false)
      expect(explicit.warn).toBe(true)
      expect(explicit.reason).toContain('ACTIONS_RUNTIME_TOKEN')
    }
  })

  it('leaves the built-in cache to cache-from/cache-to of the user in auto mode, and keeps both with cache: true', () => {
    expect(planCache({ ...base, userCache: true })).toEqual({
      enabled: false,
      warn: false,
      reason: 'Build cache is off: cache-from/cache-to are given, and they replace the built-in cache; set "cache: true" to keep both.'
    })
    expect(planCache({ ...base, userCache: true, mode: 'true' }).enabled).toBe(true)
    expect(planCache({ ...base, userCache: false }).enabled).toBe(true)
  })

  it('does not trust an unknown driver to export cache', () => {
    const plan = planCache({ ...base, driver: 'cloud' })
    expect(plan.enabled).toBe(false)
    if (!plan.enabled) expect(plan.reason).toContain('"cloud"')
  })
})

describe('cacheKey', () => {
  it('carries target and extra key, and a hash of the Dockerfile and lock files', () => {
    const k = cacheKey({ ...base, target: 'runtime', extraKey: 'nightly' })
    expect(k.prefix).toBe('smokestack-linux-docker-linux/amd64+linux/arm64-runtime-nightly-')
    expect(k.key).toMatch(/-[0-9a-f]{24}$/)
  })

  it('changes the hash, and only the hash, when a lock file changes', () => {
    const a = cacheKey(base)
    const b = cacheKey({ ...base, lockfilesHash: 'c'.repeat(64) })
    const c = cacheKey({ ...base, dockerfileHash: 'd'.repeat(64) })
    expect(a.prefix).toBe(b.prefix)
    expect(new Set([a.key, b.key, c.key]).size).toBe(3)
  })

  it('does not depend on the order platforms are given in', () => {
    expect(cacheKey({ ...base, platforms: ['linux/amd64', 'linux/arm64'] }).key).toBe(cacheKey(base).key)
  })

  it('separates different platforms, targets, drivers and OSes', () => {
    const keys = [
      cacheKey(base),
      cacheKey({ ...base, platforms: ['linux/amd64'] }),
      cacheKey({ ...base, target: 'build' }),
      cacheKey({ ...base, driver: 'docker-container' }),
      cacheKey({ ...base, os: 'Windows' })
    ].map((k) => k.prefix)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('keeps commas out of keys and stays within 512 characters', () => {
    const k = cacheKey({ ...base, extraKey: 'a,b c', platforms: Array.from({ length: 60 }, (_, i) => `linux/arch${i}`) })
    expect(k.key).not.toContain(',')
    expect(k.key.length).toBeLessThanOrEqual(512)
    expect(k.key.startsWith(k.prefix)).toBe(true)
    expect(cacheKey({ ...base, extraKey: 'a,b' }).prefix).toContain('-a_b-')
  })
})

describe('cacheBuildArgsFor', () => {
  it('scopes the store with a tag for separate per-platform builds', () => {
    const plan = planCache(base)
    if (!plan.enabled) throw new Error(plan.reason)
    expect(cacheBuildArgsFor(plan, 'linux/arm64')).toEqual([
      '--cache-from',
      `type=local,src=${plan.restoreDir},tag=linux-arm64`,
      '--cache-to',
      `type=local,dest=${plan.saveDir},mode=max,tag=linux-arm64`
    ])
  })
})

describe('cache service detection', () => {
  it('follows the protocol @actions/cache picks', () => {
    expect(cacheServiceVersion({})).toBe('v1')
    expect(cacheServiceVersion({ ACTIONS_CACHE_SERVICE_V2: 'true' })).toBe('v2')
    expect(cacheServiceVersion({ ACTIONS_CACHE_SERVICE_V2: 'true', GITHUB_SERVER_URL: 'https://git.example.org' })).toBe('v1')
    expect(cacheServiceVersion({ ACTIONS_CACHE_SERVICE_V2: 'true', GITHUB_SERVER_URL: 'https://acme.ghe.com' })).toBe('v2')
  })

  it('needs the runtime token and the URL of the protocol in use', () => {
    expect(cacheServiceAvailable({ ACTIONS_CACHE_URL: 'http://x/' })).toBe(false)
    expect(cacheServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_URL: 'http://x/' })).toBe(true)
    expect(cacheServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_CACHE_URL: 'http://x/' })).toBe(false)
    expect(cacheServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: 'http://x/' })).toBe(true)
  })
})

describe('cacheArgsAfterRestore', () => {
  it('only imports after an exact hit, and imports and exports otherwise', () => {
    const p = planCache({ ...base, mode: 'true' })
    if (!p.enabled) throw new Error(p.reason)
    expect(cacheArgsAfterRestore(p, 'true')).toEqual(['--cache-from', `type=local,src=${p.restoreDir}`])
    expect(cacheArgsAfterRestore(p, 'partial')).toEqual(p.buildArgs)
    expect(cacheArgsAfterRestore(p, 'false', 'linux/arm64')[3]).toMatch(/mode=max,tag=/)
    expect(cacheArgsAfterRestore(p, 'true', 'linux/arm64')).toHaveLength(2)
  })
})
