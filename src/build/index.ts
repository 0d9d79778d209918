/**
 * Builds every platform's image and loads it into the engine. Where the engine can hold a multi-platform
 * image (containerd image store; see drivers.ts for each buildx driver), all platforms are built in one BuildKit solve under one
 * reference; otherwise, or when that solve fails, each platform is built on its own, all at once, so that
 * one platform's failure never stops the others.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { docker, isCancelled } from '../docker/exec.js'
import { platformSlug } from '../docker/platform.js'
import type { BuildOutcome } from '../pipeline/outcomes.js'
import { buildArgs, buildFailureSummary, localReference, parseBuildMetadata, type BuildRequest } from './args.js'

/** Everything one build needs but the platforms, the reference and the cache flags. */
export type BuildSpec = Omit<BuildRequest, 'platforms' | 'localRef' | 'metadataFile' | 'cacheArgs'>

export interface BuildAllOptions {
  runId: string
  tempDir: string
  /** One solve for all platforms (see {@link sharedSolve}). */
  shared: boolean
  /** Cache flags for a build of these platforms (one solve, or one platform). */
  cacheArgs: (platforms: readonly string[]) => string[]
  /** Called before a reference is built, so that a cleanup finds it whatever happens. */
  track: (ref: string) => void
  /** Live build output, line by line. */
  onLine?: (line: string) => void
  /** Told when a solve begins or fails, for the log. */
  say: (line: string) => void
}

export { sharedSolve } from './drivers.js'

const LOG_TAIL_LINES = 40
/** Longest build log line kept in the tail: a step can print megabytes on one line. */
const LOG_LINE_CHARS = 2000

/** A line cut to `max` characters, its middle replaced by a count of what was left out. */
export function clipLine(line: string, max = LOG_LINE_CHARS): string {
  if (line.length <= max) return line
  const keep = Math.floor((max - 40) / 2)
  return `${line.slice(0, keep)} …(${line.length - 2 * keep} characters)… ${line.slice(-keep)}`
}

/** Runs one `docker buildx build` of `platforms` into `ref`. */
async function buildOnce(spec: BuildSpec, platforms: readonly string[], ref: string, options: BuildAllOptions): Promise<Omit<BuildOutcome, 'shared'>> {
  const metadataFile = path.join(options.tempDir, `metadata-${platforms.length === 1 ? platformSlug(platforms[0]) : 'all'}.json`)
  options.track(ref)
  const args = buildArgs({ ...spec, platforms, localRef: ref, metadataFile, cacheArgs: options.cacheArgs(platforms) })
  let partial = ''
  const onOutput = options.onLine
    ? (chunk: Buffer): void => {
        const lines = (partial + chunk.toString('utf8')).split(/\r?\n/)
        partial = lines.pop() ?? ''
        for (const line of lines) options.onLine!(line)
      }
    : undefined
  const result = await docker(args, { allowFailure: true, onOutput })
  if (partial && options.onLine) options.onLine(partial)
  const log = `${result.stdout}\n${result.stderr}`
  if (result.exitCode !== 0) {
    const tail = log
      .split('\n')
      .filter((l) => l.trim())
      .slice(-LOG_TAIL_LINES)
      .map((l) => clipLine(l))
      .join('\n')
    return { ok: false, ref, durationMs: result.durationMs, error: buildFailureSummary(log), logTail: tail }
  }
  const text = fs.existsSync(metadataFile) ? fs.readFileSync(metadataFile, 'utf8') : '{}'
  const meta = parseBuildMetadata(text)
  const inspect = await docker(['image', 'inspect', '--format', '{{.Id}}', ref])
  return { ok: true, ref, durationMs: result.durationMs, configDigest: platforms.length === 1 ? meta.configDigest : undefined, imageId: inspect.stdout.trim(), metadata: metadataObject(text) }
}

/** The metadata file as an object; nothing when it is not one. */
function metadataObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Builds each platform on its own, all at once. */
async function buildEach(spec: BuildSpec, platforms: readonly string[], options: BuildAllOptions): Promise<Map<string, BuildOutcome>> {
  const outcomes = await Promise.all(
    platforms.map(async (platform) => ({ ...(await buildOnce(spec, [platform], localReference(options.runId, platform), options)), shared: false }))
  )
  return new Map(platforms.map((p, i) => [p, outcomes[i]]))
}

/** Builds every platform: one solve where it can, each on its own where it cannot or where that solve failed. */
export async function buildAll(spec: BuildSpec, platforms: readonly string[], options: BuildAllOptions): Promise<Map<string, BuildOutcome>> {
  if (!options.shared) return buildEach(spec, platforms, options)
  options.say(`Building ${platforms.join(', ')} in one solve`)
  const together = await buildOnce(spec, platforms, localReference(options.runId), options)
  // Built, or stopped by a cancellation: either way nothing is built again.
  if (together.ok || isCancelled()) return new Map(platforms.map((p) => [p, { ...together, shared: true }]))
  // One platform's failure fails the whole solve: build each on its own to let the others finish and to tell which failed.
  options.say(`The build of all platforms at once failed (${together.error}); building each platform on its own to see which fail`)
  return buildEach(spec, platforms, options)
}
