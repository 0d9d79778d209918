/**
 * Keeps BuildKit's local cache between runs through the Actions cache service. The cache is an
 * optimisation: every failure of the service ends in a warning and the build goes on without it, and
 * no call waits longer than a bounded time.
 */
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { existsSync } from 'node:fs'
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import * as path from 'node:path'
import type { CachePlan, EnabledCachePlan } from './plan.js'

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

export interface CacheCallOptions {
  /** Give up on the cache service after this long; the build goes on without it. Default 60 s. */
  timeoutMs?: number
}

export const DEFAULT_CACHE_TIMEOUT_MS = 60_000

/**
 * Brings the last cache for this plan into `plan.restoreDir`, ready for `--cache-from`, and clears
 * `plan.saveDir` so the build exports a fresh cache there (the old one is not carried over).
 */
export async function restoreBuildCache(plan: CachePlan, options: CacheCallOptions = {}): Promise<RestoreResult> {
  if (!plan.enabled) return { hit: 'false' }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS
  try {
    await resetDirs(plan)
    const outcome = await runObserved(
      () =>
        cache.restoreCache([plan.archiveDir], plan.key, plan.restoreKeys, {
          timeoutInMs: Math.min(timeoutMs, 30_000),
          segmentTimeoutInMs: timeoutMs
        }),
      timeoutMs
    )
    if (outcome === TIMED_OUT) {
      core.warning(`Build cache not restored: the cache service did not answer within ${seconds(timeoutMs)}; building without it.`)
      return { hit: 'false' }
    }
    const restoredKey = outcome.value
    if (!restoredKey) {
      if (!outcome.warned) core.info(`Build cache: nothing stored yet for ${plan.key}.`)
      return { hit: 'false' }
    }
    if (!existsSync(plan.archiveDir)) {
      core.warning(`Build cache not restored: the entry for ${restoredKey} held no cache directory; building without it.`)
      return { hit: 'false' }
    }
    await rename(plan.archiveDir, plan.restoreDir)
    const bytes = await directorySize(plan.restoreDir)
    const hit: CacheHit = restoredKey === plan.key ? 'true' : 'partial'
    core.info(`Build cache restored from ${restoredKey} (${hit === 'true' ? 'exact key' : 'older entry'}, ${bytes} bytes).`)
    return { hit, restoredKey, bytes }
  } catch (error) {
    core.warning(`Build cache not restored: ${messageOf(error)}; building without it.`)
    return { hit: 'false' }
  }
}

/**
 * Stores the cache the build exported into `plan.saveDir` under `plan.key`. Skipped when the exact key
 * was restored (the service keeps the first entry for a key and refuses another).
 */
export async function saveBuildCache(plan: CachePlan, hit: CacheHit, options: CacheCallOptions = {}): Promise<SaveResult> {
  if (!plan.enabled) return { saved: false, reason: plan.reason }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS
  const skip = saveSkipReason(plan, hit, existsSync(path.join(plan.saveDir, 'index.json')), process.env.ACTIONS_CACHE_MODE)
  if (skip) {
    core.info(`Build cache not saved: ${skip}.`)
    return { saved: false, reason: skip }
  }
  try {
    await rm(plan.archiveDir, { recursive: true, force: true })
    await rename(plan.saveDir, plan.archiveDir)
    const bytes = await directorySize(plan.archiveDir)
    const outcome = await runObserved(() => cache.saveCache([plan.archiveDir], plan.key), timeoutMs)
    if (outcome === TIMED_OUT) {
      const reason = `the cache service did not answer within ${seconds(timeoutMs)}`
      core.warning(`Build cache not saved: ${reason}; the next run builds without it.`)
      return { saved: false, bytes, reason }
    }
    if (outcome.value === -1) {
      // The service's own failures were already reported as warnings; a key taken by another job is quiet.
      if (outcome.warned) return { saved: false, bytes, reason: outcome.failure ?? `the cache service did not store key ${plan.key}` }
      if (outcome.reserveError && !isKeyTaken(outcome.reserveError)) {
        const reason = `the cache service failed: ${outcome.reserveError}`
        core.warning(`Build cache not saved: ${reason}; the next run builds without it.`)
        return { saved: false, bytes, reason }
      }
      const reason = outcome.failure ?? `the cache service did not store key ${plan.key}`
      core.info(`Build cache not saved: ${reason}.`)
      return { saved: false, bytes, reason }
    }
    core.info(`Build cache saved under ${plan.key} (${bytes} bytes).`)
    return { saved: true, bytes }
  } catch (error) {
    const reason = messageOf(error)
    core.warning(`Build cache not saved: ${reason}; the next run builds without it.`)
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

/** What a cache call reported while it ran. */
interface Observed {
  /** It reported a warning or an error annotation of its own. */
  warned: boolean
  /** The last failure it reported (`Failed to save: …`), without the prefix. */
  failure?: string
  /** Why reserving a key failed, as the v2 client logs it before reporting any failure as a taken key. */
  reserveError?: string
}

/**
 * Runs a cache call within the deadline and notes what it reported: `@actions/cache` turns service
 * failures into log lines (annotations, or a plain line when a key is already taken) rather than errors.
 * Output passes through unchanged; observing stops at the deadline even if the call goes on.
 */
async function runObserved<T>(call: () => Promise<T>, timeoutMs: number): Promise<(Observed & { value: T }) | typeof TIMED_OUT> {
  const observed: Observed = { warned: false }
  const stdout = process.stdout
  const original = stdout.write
  let active = true
  const tap = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (active) observeLine(observed, chunk)
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof stdout.write
  stdout.write = tap
  try {
    const value = await withDeadline(Promise.resolve().then(call), timeoutMs)
    return value === TIMED_OUT ? TIMED_OUT : { ...observed, value }
  } finally {
    active = false
    // Unhook unless something hooked in after us; then the tap stays as a plain pass-through.
    if (stdout.write === tap) stdout.write = original
  }
}

function observeLine(observed: Observed, chunk: unknown): void {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : ''
  for (const line of text.split(/\r?\n/)) {
    if (/^::(warning|error)\b/.test(line)) observed.warned = true
    const failed = /(?:^|::)Failed to (?:save|restore): (.*)$/.exec(line)
    if (failed) observed.failure = decodeCommandText(failed[1])
    const reserve = /^::debug::Failed to reserve cache: (.*)$/.exec(line)
    if (reserve) observed.reserveError = decodeCommandText(reserve[1])
  }
}

/** The service refused the key because an entry for it exists or is being written (HTTP 409). */
function isKeyTaken(message: string): boolean {
  return /\(409\)|already.exists/i.test(message)
}

/** Undoes the escaping workflow commands apply to their message. */
function decodeCommandText(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%').trim()
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
