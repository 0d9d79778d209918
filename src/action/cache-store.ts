/**
 * The Actions cache service as the pipeline's cache store. `@actions/cache` reports the service's failures
 * only as workflow commands it writes to the step log (a warning, or a debug line when a key is taken), not as
 * errors, so while one of its calls runs its own log lines are read here to tell a failure from a miss. This is
 * the one place that reads log lines, and only those of that library, inside the Actions front end.
 */
import * as cache from '@actions/cache'
import type { BuildCacheStore, StoreCall } from '../cache/index.js'

/**
 * The Actions cache service. `scratchDir` holds the library's own temporary archives (it puts them in
 * RUNNER_TEMP): pointing RUNNER_TEMP there during each call lets the run remove them with that directory.
 */
export function actionsCacheStore(scratchDir?: string): BuildCacheStore {
  return {
    restore: (paths, key, restoreKeys, { timeoutMs }) =>
      inScratch(scratchDir, () =>
        observed(() => cache.restoreCache(paths, key, restoreKeys, { timeoutInMs: Math.min(timeoutMs, 30_000), segmentTimeoutInMs: timeoutMs }))
      ),
    save: (paths, key) => inScratch(scratchDir, () => observed(() => cache.saveCache(paths, key)))
  }
}

/** Runs `fn` with RUNNER_TEMP pointing at `dir`. */
async function inScratch<T>(dir: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (dir === undefined) return fn()
  const saved = process.env.RUNNER_TEMP
  process.env.RUNNER_TEMP = dir
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = saved
  }
}

/**
 * Runs a cache call and notes what it reported. Output passes through unchanged. Observing stops when the
 * call settles; a call left running past the caller's deadline is no longer observed once another starts.
 */
async function observed<T>(call: () => Promise<T>): Promise<StoreCall<T>> {
  const report: Omit<StoreCall<T>, 'value'> = { warned: false }
  const stdout = process.stdout
  const original = stdout.write
  let active = true
  const tap = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (active) observeLine(report, chunk)
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof stdout.write
  stdout.write = tap
  try {
    const value = await call()
    return { ...report, value }
  } finally {
    active = false
    // Unhook unless something hooked in after us; then the tap stays as a plain pass-through.
    if (stdout.write === tap) stdout.write = original
  }
}

function observeLine(report: Omit<StoreCall<unknown>, 'value'>, chunk: unknown): void {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : ''
  for (const line of text.split(/\r?\n/)) {
    if (/^::(warning|error)\b/.test(line)) report.warned = true
    const failed = /(?:^|::)Failed to (?:save|restore): (.*)$/.exec(line)
    if (failed) report.failure = decodeCommandText(failed[1])
    const reserve = /^::debug::Failed to reserve cache: (.*)$/.exec(line)
    if (reserve) report.reserveError = decodeCommandText(reserve[1])
  }
}

/** Undoes the escaping workflow commands apply to their message. */
function decodeCommandText(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%').trim()
}
