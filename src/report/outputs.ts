/** The step's outputs: all renderings of the same list of platform results. Pure. */
import type { PlatformResult } from '../types.js'
import type { PlatformDelta } from '../size/baseline.js'

export interface RunReport {
  results: PlatformResult[]
  /** Manifest list digest, when published. */
  digest?: string
  deltas?: PlatformDelta[]
  cacheHit?: string
}

export function resultsDocument(results: PlatformResult[]): Record<string, unknown> {
  return Object.fromEntries(
    results.map((r) => [
      r.platform,
      {
        status: r.status,
        imageId: r.imageId,
        configDigest: r.configDigest,
        size: r.size,
        compressedSize: r.compressedSize,
        layers: r.layers,
        buildMs: r.buildMs,
        checkMs: r.checkMs,
        sizeMs: r.sizeMs,
        smoke: r.smoke ? { outcome: r.smoke.outcome, exitCode: r.smoke.exitCode, durationMs: r.smoke.durationMs, message: r.smoke.message, health: r.smoke.health, probes: r.smoke.probes } : undefined,
        findings: r.findings.map((f) => ({ severity: f.severity, code: f.code, message: f.message, file: f.file, fix: f.fix })),
        error: r.error,
        digest: r.digest,
        localRef: r.localRef
      }
    ])
  )
}

export function computeOutputs(report: RunReport): Record<string, string> {
  const { results } = report
  const sized = results.filter((r) => r.size !== undefined)
  const largest = (key: 'size' | 'compressedSize'): string => {
    const values = results.map((r) => r[key]).filter((v): v is number => v !== undefined)
    return values.length ? String(Math.max(...values)) : ''
  }
  const deltaFor = (platform: string): PlatformDelta | undefined => report.deltas?.find((d) => d.platform === platform)
  const grown = (report.deltas ?? []).filter((d) => d.change === 'changed').sort((a, b) => b.bytes - a.bytes)[0]
  return {
    size: largest('size'),
    'compressed-size': largest('compressedSize'),
    sizes: JSON.stringify(
      Object.fromEntries(
        sized.map((r) => [r.platform, { size: r.size, compressedSize: r.compressedSize, layers: r.layers, delta: deltaFor(r.platform)?.bytes }])
      )
    ),
    'size-delta': grown ? String(grown.bytes) : '',
    results: JSON.stringify(resultsDocument(results)),
    digest: report.digest ?? '',
    imageid: results.length === 1 ? (results[0].imageId ?? '') : '',
    'cache-hit': report.cacheHit ?? ''
  }
}
