/**
 * Restore and save through a real cache service over HTTP (the local implementation in
 * __tests__/support), with the protocols @actions/cache speaks, and with the service failing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { randomBytes } from 'node:crypto'
import { BlobClient } from '@azure/storage-blob'
import { CacheServer, type FaultMode } from '../../support/cache-server.js'
import { planCache, restoreBuildCache, saveBuildCache, type CachePlanInput, type EnabledCachePlan } from '../../../src/cache/index.js'
import * as core from '@actions/core'
import { actionsCacheStore } from '../../../src/action/cache-store.js'

/** The cache's messages as workflow commands on stdout, as the action writes them. */
const coreLog = { info: (m: string) => core.info(m), warning: (m: string) => core.warning(m) }

let server: CacheServer
let work: string
const savedEnv = { ...process.env }

beforeAll(async () => {
  server = await CacheServer.start()
})
afterAll(async () => {
  await server.stop()
})

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cache-service-'))
  await mkdir(path.join(work, 'workspace'))
  await mkdir(path.join(work, 'runner-temp'))
  process.env.GITHUB_WORKSPACE = path.join(work, 'workspace')
  process.env.RUNNER_TEMP = path.join(work, 'runner-temp')
  delete process.env.GITHUB_SERVER_URL
  delete process.env.ACTIONS_CACHE_MODE
  delete process.env.SEGMENT_DOWNLOAD_TIMEOUT_MINS
})
afterEach(async () => {
  await server.setFault('none')
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
  Object.assign(process.env, savedEnv)
  await rm(work, { recursive: true, force: true })
})

function useService(version: 'v1' | 'v2'): void {
  for (const [key, value] of Object.entries(server.env(version))) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
}

function plan(overrides: Partial<CachePlanInput> = {}): EnabledCachePlan {
  const p = planCache({
    mode: 'true',
    extraKey: `run-${randomBytes(4).toString('hex')}`,
    inActions: true,
    serviceAvailable: true,
    driver: 'docker',
    containerdStore: true,
    os: 'Linux',
    platforms: ['linux/amd64', 'linux/arm64'],
    dockerfileHash: 'd'.repeat(64),
    lockfilesHash: 'l'.repeat(64),
    tempDir: path.join(work, 'runner-temp'),
    ...overrides
  })
  if (!p.enabled) throw new Error(p.reason)
  return p
}

/** What BuildKit's local exporter leaves behind: an OCI layout with blobs. */
async function writeExportedCache(dir: string, seed: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, seed }))],
    ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
    ['blobs/sha256/aaaa', randomBytes(300_000)],
    ['blobs/sha256/bbbb', Buffer.from(`layer of ${seed}`)]
  ])
  for (const [rel, content] of files) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true })
    await writeFile(path.join(dir, rel), content)
  }
  return files
}

async function expectTree(dir: string, files: Map<string, Buffer>): Promise<void> {
  for (const [rel, content] of files) expect((await readFile(path.join(dir, rel))).equals(content)).toBe(true)
  expect((await readdir(path.join(dir, 'blobs/sha256'))).sort()).toEqual(['aaaa', 'bbbb'])
}

/** Records the workflow commands written while `fn` runs. */
async function recordCommands<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: string[]; errors: string[]; ms: number }> {
  const lines: string[] = []
  const original = process.stdout.write
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    lines.push(...String(chunk).split('\n'))
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof process.stdout.write
  const started = Date.now()
  try {
    const value = await fn()
    return {
      value,
      ms: Date.now() - started,
      warnings: lines.filter((l) => l.startsWith('::warning::')),
      errors: lines.filter((l) => l.startsWith('::error::'))
    }
  } finally {
    process.stdout.write = original
  }
}

describe.each(['v1', 'v2'] as const)('cache service %s', (version) => {
  beforeEach(() => useService(version))

  it('saves the exported cache and restores it into the --cache-from directory on the next run', async () => {
    const first = plan()
    expect(await restoreBuildCache(first, actionsCacheStore(), coreLog)).toEqual({ hit: 'false' })
    const files = await writeExportedCache(first.saveDir, 'run 1')
    const before = server.requests.length

    const saved = await saveBuildCache(first, 'false', actionsCacheStore(), coreLog)
    expect(saved.saved).toBe(true)
    expect(saved.bytes).toBeGreaterThan(300_000)
    const entry = server.committedEntries().find((e) => e.key === first.key)
    expect(entry?.size).toBeGreaterThan(0)
    const calls = server.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/\d+$/, 'N')}`)
    if (version === 'v1')
      expect(calls).toEqual(
        expect.arrayContaining(['POST /_apis/artifactcache/caches', 'PATCH /_apis/artifactcache/caches/N', 'POST /_apis/artifactcache/caches/N'])
      )
    else
      expect(calls).toEqual(
        expect.arrayContaining([
          'POST /twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry',
          'PUT /devstoreaccount1/actions-cache/N',
          'POST /twirp/github.actions.results.api.v1.CacheService/FinalizeCacheEntryUpload'
        ])
      )

    // The next run: nothing on disk.
    await rm(path.join(work, 'runner-temp'), { recursive: true, force: true })
    const restored = await restoreBuildCache(first, actionsCacheStore(), coreLog)
    expect(restored).toEqual({ hit: 'true', restoredKey: first.key, bytes: saved.bytes })
    await expectTree(first.restoreDir, files)
    expect(existsSync(first.saveDir)).toBe(false)
    expect(existsSync(first.archiveDir)).toBe(false)

    // An exact hit is not saved again.
    await writeExportedCache(first.saveDir, 'run 2')
    expect(await saveBuildCache(first, 'true', actionsCacheStore(), coreLog)).toEqual({ saved: false, reason: `the cache already holds key ${first.key}` })
  })

  it('restores an older entry through the restore key when the lock files changed, and saves the fresh export', async () => {
    const extraKey = `prefix-${randomBytes(4).toString('hex')}`
    const old = plan({ extraKey })
    await restoreBuildCache(old, actionsCacheStore(), coreLog)
    const oldFiles = await writeExportedCache(old.saveDir, 'old')
    expect((await saveBuildCache(old, 'false', actionsCacheStore(), coreLog)).saved).toBe(true)

    const changed = plan({ extraKey, lockfilesHash: 'n'.repeat(64) })
    expect(changed.key).not.toBe(old.key)
    const restored = await restoreBuildCache(changed, actionsCacheStore(), coreLog)
    expect(restored.hit).toBe('partial')
    expect(restored.restoredKey).toBe(old.key)
    await expectTree(changed.restoreDir, oldFiles)

    // The build exports afresh; what is saved is that export alone, not the old cache plus it.
    const freshFiles = await writeExportedCache(changed.saveDir, 'new')
    expect((await saveBuildCache(changed, restored.hit, actionsCacheStore(), coreLog)).saved).toBe(true)
    await rm(path.join(work, 'runner-temp'), { recursive: true, force: true })
    const again = await restoreBuildCache(changed, actionsCacheStore(), coreLog)
    expect(again.hit).toBe('true')
    await expectTree(changed.restoreDir, freshFiles)
  })

  it('reports a key another job saved first quietly, without failing', async () => {
    const p = plan()
    await restoreBuildCache(p, actionsCacheStore(), coreLog)
    await writeExportedCache(p.saveDir, 'job A')
    expect((await saveBuildCache(p, 'false', actionsCacheStore(), coreLog)).saved).toBe(true)
    await writeExportedCache(p.saveDir, 'job B')
    const second = await recordCommands(() => saveBuildCache(p, 'false', actionsCacheStore(), coreLog))
    expect(second.value.saved).toBe(false)
    expect(second.value.reason).toMatch(/reserve cache with key/)
    expect(second.errors).toEqual([])
  })

  it('does not save when the build exported nothing', async () => {
    const p = plan()
    await restoreBuildCache(p, actionsCacheStore(), coreLog)
    expect(await saveBuildCache(p, 'false', actionsCacheStore(), coreLog)).toEqual({ saved: false, reason: `the build exported no cache to ${p.saveDir}` })
  })

  describe.each(['error500', 'hang', 'down'] as FaultMode[])('when the service is %s', (fault) => {
    const boundMs = 1500

    it('restores nothing and saves nothing, with a warning, within the time bound', async () => {
      const p = plan()
      await server.setFault(fault)
      const restore = await recordCommands(() => restoreBuildCache(p, actionsCacheStore(), coreLog, { timeoutMs: boundMs }))
      expect(restore.value).toEqual({ hit: 'false' })
      expect(restore.warnings.length).toBeGreaterThan(0)
      expect(restore.ms).toBeLessThan(boundMs + 1500)

      await writeExportedCache(p.saveDir, 'unsaved')
      const save = await recordCommands(() => saveBuildCache(p, 'false', actionsCacheStore(), coreLog, { timeoutMs: boundMs }))
      expect(save.value.saved).toBe(false)
      expect(save.value.reason).toBeTruthy()
      expect(save.warnings.length + save.errors.length).toBeGreaterThan(0)
      expect(save.ms).toBeLessThan(boundMs + 1500)
      expect(server.committedEntries().some((e) => e.key === p.key)).toBe(false)
    }, 20_000)
  })
})

describe('local Azure Blob endpoint', () => {
  it('assembles a blob from staged blocks and serves ranges of it once finalized', async () => {
    const twirp = (method: string, body: object): Promise<Response> =>
      fetch(`${server.url}twirp/github.actions.results.api.v1.CacheService/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body)
      })
    // Reserve an entry to get a signed upload URL, as the v2 client does.
    const key = `blocks-${randomBytes(4).toString('hex')}`
    const { signed_upload_url: url } = (await (await twirp('CreateCacheEntry', { key, version: 'v' })).json()) as { signed_upload_url: string }
    const client = new BlobClient(url).getBlockBlobClient()
    const parts = [randomBytes(1000), randomBytes(2000), randomBytes(10)]
    const ids = parts.map((_, i) => Buffer.from(`block-${i}`).toString('base64'))
    for (let i = 0; i < parts.length; i++) await client.stageBlock(ids[i], parts[i], parts[i].length)
    await client.commitBlockList(ids)
    const whole = Buffer.concat(parts)

    const finalized = (await (await twirp('FinalizeCacheEntryUpload', { key, version: 'v', size_bytes: String(whole.length) })).json()) as { ok: boolean }
    expect(finalized.ok).toBe(true)
    const found = (await (await twirp('GetCacheEntryDownloadURL', { key, restore_keys: [], version: 'v' })).json()) as {
      signed_download_url: string
      matched_key: string
    }
    expect(found.matched_key).toBe(key)
    const ranged = await fetch(found.signed_download_url, { headers: { Range: 'bytes=990-1009' } })
    expect(ranged.status).toBe(206)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(whole.subarray(990, 1010))).toBe(true)
    expect(Buffer.from(await client.downloadToBuffer()).equals(whole)).toBe(true)
  })
})
