/**
 * The one report model of a run, built from the pipeline's outcomes: per platform its verdict, figures and
 * findings; for the run its verdict, the advice, the comparison and what was published. The job summary, the
 * step outputs, the annotations, the terminal table and `--json` are all renderings of it. Pure.
 */
import type { Finding, SmokeResult } from '../types.js'
import type { CacheHit } from '../cache/index.js'
import type { LayerOrigin } from '../size/measure.js'
import type { PlatformDelta } from '../size/baseline.js'
import type { PipelineResult, PublishOutcome, TestOutcome } from '../pipeline/outcomes.js'
import { platformVerdict, reasonLine, type FailureReason } from '../pipeline/status.js'

export interface PlatformReport {
  platform: string
  status: 'passed' | 'failed'
  reason?: FailureReason
  /** The reason in one line. */
  headline?: string
  findings: readonly Finding[]
  start?: SmokeResult
  /** The test command's outcome. */
  test?: TestOutcome
  /** buildx's metadata of the build. */
  metadata?: Readonly<Record<string, unknown>>
  /** Reference the image was loaded under locally (with `--platform` for a multi-platform one). */
  localRef: string
  imageId?: string
  configDigest?: string
  /** Digest of its manifest in the registry, once published. */
  digest?: string
  size?: number
  /** Exact from the registry once published, else from the engine's copy. */
  compressedSize?: number
  layers?: number
  largestLayers: readonly LayerOrigin[]
  delta?: PlatformDelta
  buildMs?: number
  checkMs?: number
  sizeMs?: number
}

export interface RunReport {
  platforms: PlatformReport[]
  /** Every platform passed and, when asked, publishing succeeded. */
  passed: boolean
  advice: readonly Finding[]
  /** Baseline comparison, removed platforms included. */
  deltas: readonly PlatformDelta[]
  baselineRef?: string
  publish?: PublishOutcome
  cacheHit?: CacheHit
  notes: readonly string[]
  /** With `load`: the tags the tested image is under in the engine. */
  loaded?: readonly string[]
}

export interface ReportOptions {
  /** `max-size` or `max-growth` is set. */
  sizeGated: boolean
}

export function buildReport(result: PipelineResult, options: ReportOptions): RunReport {
  const deltas = result.baseline?.deltas ?? []
  const platforms = result.platforms.map((o): PlatformReport => {
    const verdict = platformVerdict(o, options)
    return {
      platform: o.platform,
      status: verdict.status,
      reason: verdict.reason,
      headline: verdict.reason ? reasonLine(verdict.reason) : undefined,
      findings: verdict.findings,
      start: o.check?.start,
      test: o.test,
      metadata: o.build.metadata,
      localRef: o.build.ref,
      imageId: o.build.imageId,
      configDigest: o.size?.configDigest ?? o.build.configDigest,
      digest: result.publish?.platformDigests[o.platform],
      size: o.size?.size,
      compressedSize: result.publish?.compressedSizes[o.platform] ?? o.size?.compressedSize,
      layers: o.size?.layers,
      largestLayers: o.size?.largestLayers ?? [],
      delta: deltas.find((d) => d.platform === o.platform),
      buildMs: o.build.durationMs,
      checkMs: o.check?.durationMs,
      sizeMs: o.size?.durationMs
    }
  })
  const passed = platforms.every((p) => p.status === 'passed') && (result.publish === undefined || result.publish.ok)
  return {
    platforms,
    passed,
    advice: result.advice,
    deltas,
    baselineRef: result.baseline?.ref,
    publish: result.publish,
    cacheHit: result.cacheHit,
    notes: result.notes,
    loaded: result.loaded
  }
}

const START_TEXT: Record<string, string> = {
  exited: 'exited 0',
  running: 'running (server)',
  crashed: 'crashed',
  'start-failed': 'did not start',
  skipped: 'skipped',
  'not-started': 'not started',
  unhealthy: 'unhealthy',
  'probe-failed': 'probe failed'
}

/** How the start check ended, in a few words. */
export function startText(start: SmokeResult | undefined): string {
  if (!start) return '–'
  if (start.outcome === 'exited' && start.exitCode !== 0) return `exited ${start.exitCode}`
  if (start.outcome === 'crashed') return `crashed (${start.exitCode})`
  if (start.outcome === 'healthy') return `healthy in ${seconds(start.health?.durationMs ?? start.durationMs)}`
  if (start.outcome === 'probe-ok') return `probe ok in ${seconds(start.durationMs)}`
  return START_TEXT[start.outcome] ?? start.outcome
}

/** Milliseconds as `1.2 s`, or `–`. */
export function seconds(ms?: number): string {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`
}

/** The run's verdict in one line. */
export function verdictLine(report: RunReport): string {
  const total = report.platforms.length
  const failed = report.platforms.filter((p) => p.status === 'failed')
  const plural = total === 1 ? '' : 's'
  if (failed.length) return `${failed.length} of ${total} platform${plural} failed: ${failed.map((p) => p.platform).join(', ')}`
  if (report.publish && !report.publish.ok) return `${total}/${total} platform${plural} passed, but publishing failed: ${report.publish.error}`
  const pushed = report.publish?.byDigest ? ` · pushed by digest to ${report.publish.byDigest}` : ''
  return `${total}/${total} platform${plural} passed${report.publish?.digest ? ` · published ${report.publish.digest}` : pushed}`
}

/** The output tail of a failed start, unless it only repeats the runtime's message. */
export function failureOutput(p: PlatformReport): string | undefined {
  const tail = p.reason && (p.reason.kind === 'start-failed' || p.reason.kind === 'crashed' || p.reason.kind === 'test') ? p.reason.outputTail : undefined
  return tail && tail.trim() && tail.trim() !== p.start?.message.trim() ? tail : undefined
}
