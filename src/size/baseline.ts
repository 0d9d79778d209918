/**
 * Growth against a baseline image (typically the image published from the default branch): per platform, how
 * much more a pull downloads than before, and whether that is more than `max-growth` allows.
 */
import type { Finding } from '../types.js'
import { getPlatformManifests } from '../docker/registry.js'
import { formatBytes, formatDelta, type Growth } from './units.js'

/**
 * How one platform's compressed size compares to the baseline's. A platform only in the current image is
 * `added` (its whole size counts as growth); one only in the baseline is `removed`.
 */
export interface PlatformDelta {
  platform: string
  change: 'changed' | 'added' | 'removed'
  /** Current compressed size; absent when removed. */
  current?: number
  /** Baseline compressed size; absent when added. */
  baseline?: number
  /** Current minus baseline (a missing side counts as 0). */
  bytes: number
  /** Change relative to the baseline; only for `changed`. */
  percent?: number
}

export type BaselineResult =
  | { available: true; ref: string; deltas: PlatformDelta[] }
  /** The baseline could not be read (`reason` says why); the caller reports it as a warning, never as a failure. */
  | { available: false; ref: string; reason: string }

/** Compressed sizes of `current` (platform → bytes) against the manifests of `baselineRef` in its registry. */
export async function compareToBaseline(current: Map<string, number>, baselineRef: string): Promise<BaselineResult> {
  let manifests
  try {
    manifests = await getPlatformManifests(baselineRef)
  } catch (error) {
    return { available: false, ref: baselineRef, reason: (error as Error).message }
  }
  if (manifests.size === 0) return { available: false, ref: baselineRef, reason: 'it has no image for any platform' }
  const baseline = new Map([...manifests].map(([platform, m]) => [platform, m.compressedSize]))
  return { available: true, ref: baselineRef, deltas: diffSizes(current, baseline) }
}

/** Per platform change from `baseline` to `current` (both platform → bytes), platforms sorted by name. */
export function diffSizes(current: ReadonlyMap<string, number>, baseline: ReadonlyMap<string, number>): PlatformDelta[] {
  const platforms = [...new Set([...current.keys(), ...baseline.keys()])].sort()
  return platforms.map((platform): PlatformDelta => {
    const now = current.get(platform)
    const before = baseline.get(platform)
    if (before === undefined) return { platform, change: 'added', current: now!, bytes: now! }
    if (now === undefined) return { platform, change: 'removed', baseline: before, bytes: -before }
    const bytes = now - before
    const percent = before === 0 ? (bytes === 0 ? 0 : Infinity) : (bytes / before) * 100
    return { platform, change: 'changed', current: now, baseline: before, bytes, percent }
  })
}

/** An error for every platform that grew by more than `maxGrowth`; growth exactly at the limit passes. */
export function checkGrowth(deltas: readonly PlatformDelta[], maxGrowth: Growth): Finding[] {
  const limit = 'percent' in maxGrowth ? `${maxGrowth.percent}%` : formatBytes(maxGrowth.bytes)
  return deltas.flatMap((d): Finding[] => {
    if (d.change !== 'changed') return []
    const { baseline = 0, current = 0, percent = 0 } = d
    const tooMuch = 'percent' in maxGrowth ? percent > maxGrowth.percent : d.bytes > maxGrowth.bytes
    if (!tooMuch) return []
    return [
      {
        severity: 'error',
        code: 'size-growth',
        platform: d.platform,
        message: `${d.platform}: compressed size grew by ${formatDelta(d.bytes, percent)}, from ${formatBytes(baseline)} to ${formatBytes(current)}, more than max-growth ${limit}`,
        fix: 'Find the layer that grew (see the largest layers in the report) and slim it down, or raise max-growth if the growth is intended.',
        evidence: `baseline: ${baseline} bytes; current: ${current} bytes; change: ${d.bytes} bytes (${percent.toFixed(2)}%)`
      }
    ]
  })
}
