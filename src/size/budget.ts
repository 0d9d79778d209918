/** The size budget: an image that weighs more than `max-size` fails its platform. */
import type { Finding } from '../types.js'
import { formatBytes } from './units.js'

/** Which size the budget applies to: bytes on disk, or bytes a pull downloads. */
export type SizeMetric = 'disk' | 'compressed'

export interface MeasuredPlatform {
  platform: string
  /** Bytes on disk, uncompressed. */
  size: number
  /** Bytes a pull downloads (compressed layers plus the config). */
  compressedSize: number
}

export interface SizeBudget {
  /** Largest allowed size in bytes; no budget when absent. */
  maxSize?: number
  metric: SizeMetric
}

/** A finding when the platform's image is larger than the budget; an image exactly at the budget passes. */
export function checkBudget(measured: MeasuredPlatform, budget: SizeBudget): Finding | undefined {
  if (budget.maxSize === undefined) return undefined
  const actual = budget.metric === 'disk' ? measured.size : measured.compressedSize
  if (actual <= budget.maxSize) return undefined
  const what = budget.metric === 'disk' ? 'size on disk' : 'compressed size'
  return {
    severity: 'error',
    code: 'size-budget',
    platform: measured.platform,
    message: `${measured.platform}: ${what} ${formatBytes(actual)} exceeds max-size ${formatBytes(budget.maxSize)} by ${formatBytes(actual - budget.maxSize)}`,
    fix: 'Make the image smaller (a slimmer base image, fewer files copied into the final stage, caches removed in the same RUN that creates them), or raise max-size.',
    evidence: `${what}: ${actual} bytes; max-size: ${budget.maxSize} bytes`
  }
}
