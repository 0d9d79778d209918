/**
 * Keeps BuildKit's local cache between runs through a cache store (the Actions cache service, provided by
 * the action's front end). The cache is an optimisation: every failure of the service ends in a warning and
 * the build goes on without it, and no call waits longer than a bounded time.
 */
import { existsSync } from 'node:fs'
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import * as path from 'node:path'
import type { CachePlan, EnabledCachePlan } from './plan.js'
import { messageOf } from '../errors.js'

export * from './plan.js'
export { hashBuildInputs, findLockFiles, LOCK_FILES } from './files.js'
export type { BuildInputHashes } from './files.js'

export type CacheHit = 'true' | 'false' | 'partial'

export interface RestoreResult {
  /** `true`: the exact key; `partial`: an older cache found through a restore key; `false`: nothing. */
  hit: CacheHit
  restoredKey?: string
  /** Size of the restored cache on disk. */
  bytes?: number
}

export interface SaveResult {
  saved: boolean
  /** Size of the saved cache on disk (before compression). */
  bytes?: number
  /** Why nothing was saved. */
  reason?: string
}

/** What a store call returned, and what the store reported while it ran. */
export interface StoreCall<T> {
  value: T
  /** It reported a warning or an error of its own. */
  warned: boolean
  /** The last failure it reported, e.g. why a save failed. */
  failure?: string
  /** Why reserving a key failed, when the service said so only in its debug output. */
  reserveError?: string
}

/** A cache service keyed by strings, holding directories: the Actions cache in a workflow. */
export interface BuildCacheStore {
  /** Restores `paths` from `key` or the newest entry under one of `restoreKeys`; the value is the key restored. */
  restore(paths: string[], key: string, restoreKeys: string[], options: { timeoutMs: number }): Promise<StoreCall<string | undefined>>
  /** Saves `paths` under `key`; the value is the entry's id, or -1 when nothing was stored. */
  save(paths: string[], key: string): Promise<StoreCall<number>>
}

/** Where the cache's messages go. */
export interface CacheLog {
  info(message: string): void
  warning(message: string): void
}

export interface CacheCallOptions {
  /** Give up on the cache service after this long; the build goes on without it. Default 60 s. */
  timeoutMs?: number
}

export const DEFAULT_CACHE_TIMEOUT_MS = 60_000

/**
 * Brings the last cache for this plan into `plan.restoreDir`, ready for `--cache-from`, and clears
 * `plan.saveDir` so the build exports a fresh cache there (the old one is not carried over).
 */
export async function restoreBuildCache(plan: CachePlan, store: BuildCacheStore, log: CacheLog, options: CacheCallOptions = {}): Promise<RestoreResult> {
  if (!plan.enabled) return { hit: 'false' }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS
  try {
    await resetDirs(plan)
    const outcome = await withDeadline(store.restore([plan.archiveDir], plan.key, plan.restoreKeys, { timeoutMs }), timeoutMs)
    if (outcome === TIMED_OUT) {
      log.warning(`Build cache not restored: the cache service did not answer within ${seconds(timeoutMs)}; building without it.`)
      return { hit: 'false' }
    }
    const restoredKey = outcome.value
    if (!restoredKey) {
      if (!outcome.warned) log.info(`Build cache: nothing stored yet for ${plan.key}.`)
      return { hit: 'false' }
    }
    if (!existsSync(plan.archiveDir)) {
      log.warning(`Build cache not restored: the entry for ${restoredKey} held no cache directory; building without it.`)
      return { hit: 'false' }
    }
    await rename(plan.archiveDir, plan.restoreDir)
    const bytes = await directorySize(plan.restoreDir)
    const hit: CacheHit = restoredKey === plan.key ? 'true' : 'partial'
    log.info(`Build cache restored from ${restoredKey} (${hit === 'true' ? 'exact key' : 'older entry'}, ${bytes} bytes).`)
    return { hit, restoredKey, bytes }
  } catch (error) {
    log.warning(`Build cache not restored: ${messageOf(error)}; building without it.`)
    return { hit: 'false' }
  }
}

/**
 * Stores the cache the build exported into `plan.saveDir` under `plan.key`. Skipped when the exact key
 * was restored (the service keeps the first entry for a key and refuses another).
 */
export async function saveBuildCache(
  plan: CachePlan,
  hit: CacheHit,
  store: BuildCacheStore,
  log: CacheLog,
  options: CacheCallOptions & { cacheMode?: string } = {}
): Promise<SaveResult> {
  if (!plan.enabled) return { saved: false, reason: plan.reason }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS
  const skip = saveSkipReason(plan, hit, existsSync(path.join(plan.saveDir, 'index.json')), options.cacheMode)
  if (skip) {
    log.info(`Build cache not saved: ${skip}.`)
    return { saved: false, reason: skip }
  }
  try {
    await rm(plan.archiveDir, { recursive: true, force: true })
    await rename(plan.saveDir, plan.archiveDir)
    const bytes = await directorySize(plan.archiveDir)
    const outcome = await withDeadline(store.save([plan.archiveDir], plan.key), timeoutMs)
    if (outcome === TIMED_OUT) {
      const reason = `the cache service did not answer within ${seconds(timeoutMs)}`
      log.warning(`Build cache not saved: ${reason}; the next run builds without it.`)
      return { saved: false, bytes, reason }
    }
    if (outcome.value === -1) {
      // The service's own failures were already reported as warnings; a key taken by another job is quiet.
      if (outcome.warned) return { saved: false, bytes, reason: outcome.failure ?? `the cache service did not store key ${plan.key}` }
      if (outcome.reserveError && !isKeyTaken(outcome.reserveError)) {
        const reason = `the cache service failed: ${outcome.reserveError}`
        log.warning(`Build cache not saved: ${reason}; the next run builds without it.`)
        return { saved: false, bytes, reason }
      }
      const reason = outcome.failure ?? `the cache service did not store key ${plan.key}`
      log.info(`Build cache not saved: ${reason}.`)
      return { saved: false, bytes, reason }
    }
    log.info(`Build cache saved under ${plan.key} (${bytes} bytes).`)
    return { saved: true, bytes }
  } catch (error) {
    const reason = messageOf(error)
    log.warning(`Build cache not saved: ${reason}; the next run builds without it.`)
    return { saved: false, reason }
  }
}

/** Why saving is pointless or impossible, or `undefined` to go ahead. Pure. */
export function saveSkipReason(plan: EnabledCachePlan, hit: CacheHit, exported: boolean, cacheMode: string | undefined): string | undefined {
  if (hit === 'true') return `the cache already holds key ${plan.key}`
  if (!exported) return `the build exported no cache to ${plan.saveDir}`
  const mode = (cacheMode ?? '').trim().toLowerCase()
  if (mode === 'none' || mode === 'read') return `the job's cache mode "${mode}" does not allow writes`
  return undefined
}

async function resetDirs(plan: EnabledCachePlan): Promise<void> {
  for (const dir of [plan.archiveDir, plan.restoreDir, plan.saveDir]) await rm(dir, { recursive: true, force: true })
  await mkdir(path.dirname(plan.archiveDir), { recursive: true })
}

const TIMED_OUT = Symbol('timed out')

/** The promise's value, or `TIMED_OUT` once `ms` have passed (the promise is then left to settle unobserved). */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  })
  promise.catch(() => undefined)
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** The service refused the key because an entry for it exists or is being written (HTTP 409). */
function isKeyTaken(message: string): boolean {
  return /\(409\)|already.exists/i.test(message)
}

/** Bytes of all regular files under `dir`. */
export async function directorySize(dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true })
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) total += await directorySize(full)
    else if (entry.isFile()) total += (await lstat(full)).size
  }
  return total
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}
