/**
 * The merge's report, in the run's own report model: one row per expected platform from its record, with
 * the digests and compressed sizes verified in the registry, so that the job summary, the outputs, the
 * annotations and the terminal table are the same renderings as a single run's. Pure.
 */
import type { FindingCode } from '../findings.js'
import type { PublishOutcome } from '../pipeline/outcomes.js'
import type { PlatformReport, RunReport } from '../report/model.js'
import type { Finding, SmokeResult, SmokeOutcome } from '../types.js'
import type { PlatformRecord } from '../record/record.js'
import type { VerifiedManifest } from './verify.js'

export interface MergedPlatform {
  platform: string
  record?: PlatformRecord
  verified?: VerifiedManifest
  /** Why it blocks the merge. */
  problem?: string
}

function startOf(record: PlatformRecord): SmokeResult | undefined {
  const s = record.results.smoke
  if (!s) return undefined
  const outcome = s.outcome as SmokeOutcome
  return { outcome, passed: outcome !== 'crashed' && outcome !== 'start-failed', exitCode: s.exitCode, durationMs: s.durationMs, message: s.message }
}

function findingsOf(record: PlatformRecord): Finding[] {
  // The codes come from the job that found them; a newer version's code is shown as it is.
  return record.results.findings.map((f) => ({ ...f, code: f.code as FindingCode, platform: record.platform }))
}

export function platformReport(p: MergedPlatform): PlatformReport {
  const r = p.record
  const failed = p.problem !== undefined || r?.status !== 'passed'
  const message = p.problem ?? r?.error
  return {
    platform: p.platform,
    status: failed ? 'failed' : 'passed',
    reason: failed ? { kind: 'record', message: message ?? `${p.platform} failed` } : undefined,
    headline: failed ? message : undefined,
    findings: r ? findingsOf(r) : [],
    start: r ? startOf(r) : undefined,
    localRef: r?.results.localRef ?? '',
    imageId: r?.results.imageId,
    configDigest: p.verified?.configDigest ?? r?.configDigest,
    digest: p.verified?.digest,
    size: r?.sizes.size,
    compressedSize: p.verified?.compressedSize ?? r?.sizes.compressedSize,
    layers: r?.sizes.layers,
    largestLayers: [],
    buildMs: r?.results.buildMs,
    checkMs: r?.results.checkMs,
    sizeMs: r?.results.sizeMs
  }
}

/** `problems`: what blocks the merge beyond the platforms' own rows; each becomes a note. */
export function mergeReport(platforms: readonly MergedPlatform[], publish: PublishOutcome | undefined, problems: readonly string[]): RunReport {
  const rows = platforms.map(platformReport)
  const blocked = problems.length > 0 || rows.some((p) => p.status === 'failed')
  const passed = !blocked && publish !== undefined && publish.ok
  const notes = blocked
    ? [...problems, 'Nothing was published: the list is made only when every expected platform has one passed record whose image is in the registry.']
    : []
  return { platforms: rows, passed, advice: [], deltas: [], publish, notes }
}

/** Why the merge did not publish, in one message naming every problem; undefined when it published. */
export function mergeFailure(report: RunReport): string | undefined {
  if (report.passed) return undefined
  const problems = [...report.platforms.filter((p) => p.status === 'failed').map((p) => p.headline ?? `${p.platform} failed`), ...report.notes.slice(0, -1)]
  if (problems.length) return `Nothing was published: ${problems.join('; ')}`
  return `Publishing failed: ${report.publish?.error ?? 'unknown error'}`
}
