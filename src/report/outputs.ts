/** The step's outputs and the `--json` document: renderings of the report model. Pure. */
import type { HealthOutcome, ProbeOutcome, SmokeOutcome } from '../types.js'
import type { RunReport } from './model.js'

/** One platform's entry of the `results` output (and of a platform record). */
export interface ResultsEntry {
  status: 'passed' | 'failed'
  error?: string
  imageId?: string
  configDigest?: string
  size?: number
  compressedSize?: number
  layers?: number
  buildMs?: number
  checkMs?: number
  sizeMs?: number
  smoke?: { outcome: SmokeOutcome; exitCode: number | null; durationMs: number; message: string; health?: HealthOutcome; probes?: ProbeOutcome[] }
  test?: { exitCode: number; durationMs: number; timedOut: boolean }
  /** `code` as text: a record may come from another version of smokestack. */
  findings: { severity: 'error' | 'warning' | 'notice'; code: string; message: string; file?: string; line?: number; fix?: string }[]
  digest?: string
  localRef?: string
}

/** Per platform: its verdict, figures, start, findings and digests (the `results` output). */
export function resultsDocument(report: RunReport): Record<string, ResultsEntry> {
  return Object.fromEntries(
    report.platforms.map((p): [string, ResultsEntry] => [
      p.platform,
      {
        status: p.status,
        error: p.headline,
        imageId: p.imageId,
        configDigest: p.configDigest,
        size: p.size,
        compressedSize: p.compressedSize,
        layers: p.layers,
        buildMs: p.buildMs,
        checkMs: p.checkMs,
        sizeMs: p.sizeMs,
        smoke: p.start
          ? {
              outcome: p.start.outcome,
              exitCode: p.start.exitCode,
              durationMs: p.start.durationMs,
              message: p.start.message,
              health: p.start.health,
              probes: p.start.probes
            }
          : undefined,
        test: p.test ? { exitCode: p.test.exitCode, durationMs: p.test.durationMs, timedOut: p.test.timedOut } : undefined,
        findings: p.findings.map((f) => ({ severity: f.severity, code: f.code, message: f.message, file: f.file, line: f.line, fix: f.fix })),
        digest: p.digest,
        localRef: p.localRef
      }
    ])
  )
}

/** The whole run as one JSON document (`--json`). */
export function runDocument(report: RunReport): Record<string, unknown> {
  return {
    passed: report.passed,
    digest: report.publish?.digest,
    results: resultsDocument(report),
    deltas: report.deltas.length ? report.deltas : undefined,
    publish: report.publish
      ? { ok: report.publish.ok, published: report.publish.published, restored: report.publish.restored, error: report.publish.error }
      : undefined,
    advice: report.advice,
    notes: report.notes
  }
}

export function computeOutputs(report: RunReport): Record<string, string> {
  const largest = (values: (number | undefined)[]): string => {
    const known = values.filter((v): v is number => v !== undefined)
    return known.length ? String(Math.max(...known)) : ''
  }
  const grown = report.deltas.filter((d) => d.change === 'changed').sort((a, b) => b.bytes - a.bytes)[0]
  const sized = report.platforms.filter((p) => p.size !== undefined)
  return {
    size: largest(report.platforms.map((p) => p.size)),
    'compressed-size': largest(report.platforms.map((p) => p.compressedSize)),
    sizes: JSON.stringify(
      Object.fromEntries(sized.map((p) => [p.platform, { size: p.size, compressedSize: p.compressedSize, layers: p.layers, delta: p.delta?.bytes }]))
    ),
    'size-delta': grown ? String(grown.bytes) : '',
    results: JSON.stringify(resultsDocument(report)),
    // Only when every tag holds the list: a partial publish is in `published`, and said in the summary.
    digest: report.publish?.ok ? (report.publish.digest ?? '') : '',
    published: report.publish ? report.publish.published.join(',') : '',
    imageid: report.platforms.length === 1 ? (report.platforms[0].imageId ?? '') : '',
    metadata: JSON.stringify(Object.fromEntries(report.platforms.filter((p) => p.metadata).map((p) => [p.platform, p.metadata]))),
    loaded: (report.loaded ?? []).join(','),
    'cache-hit': report.cacheHit ?? ''
  }
}
