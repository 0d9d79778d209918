/**
 * The platform record of a `push: by-digest` job: what that job built, examined, started and pushed, for the
 * merge to verify against the registry (schema 1). One record per platform, written as `<platform-slug>.json`
 * with mode 0644, and all of a job's records as the `record` output. A failed job writes its records too.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { platformSlug } from '../docker/platform.js'
import { parseImageRef, repositoryName } from '../docker/reference.js'
import { resultsDocument, type ResultsEntry } from '../report/outputs.js'
import type { RunReport } from '../report/model.js'

export const RECORD_SCHEMA = 1

/** One platform's entry of the `results` output, and its findings. */
export type RecordResults = ResultsEntry
export type RecordFinding = ResultsEntry['findings'][number]

export interface PlatformRecord {
  schema: typeof RECORD_SCHEMA
  tool: { name: 'smokestack'; version: string }
  /** `registry/path` the manifest was pushed to. */
  repository: string
  platform: string
  status: 'passed' | 'failed'
  /** The pushed manifest; absent when the job pushed nothing. */
  manifest?: { digest: string; compressedSize: number }
  configDigest?: string
  sizes: { size?: number; compressedSize?: number; layers?: number }
  results: RecordResults
  /** The codes of the platform's findings. */
  findings: string[]
  /** Why the platform failed, or why nothing was pushed. */
  error?: string
  commit?: string
  runId?: string
  runAttempt?: string
}

export interface RecordContext {
  repository: string
  version: string
  vars: Readonly<Record<string, string | undefined>>
}

function compact<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** The records of a finished run, one per platform. */
export function recordsOf(report: RunReport, context: RecordContext): PlatformRecord[] {
  const results = resultsDocument(report)
  const pushed = report.publish?.ok === true
  const notPushed =
    report.publish?.error ?? (report.platforms.some((p) => p.status === 'failed') ? 'nothing was pushed: not every platform of this job passed' : undefined)
  return report.platforms.map((p) =>
    compact<PlatformRecord>({
      schema: RECORD_SCHEMA,
      tool: { name: 'smokestack', version: context.version },
      repository: context.repository,
      platform: p.platform,
      status: p.status,
      manifest: pushed && p.digest && p.compressedSize !== undefined ? { digest: p.digest, compressedSize: p.compressedSize } : undefined,
      configDigest: p.configDigest,
      sizes: { size: p.size, compressedSize: p.compressedSize, layers: p.layers },
      results: results[p.platform],
      findings: p.findings.map((f) => f.code),
      error: p.headline ?? (pushed ? undefined : notPushed),
      ...runOf(context.vars)
    })
  )
}

/** Records of a run that stopped before any platform was built (bad Dockerfile, no engine): each failed, with why. */
export function failedRecords(platforms: readonly string[], error: string, context: RecordContext): PlatformRecord[] {
  return platforms.map((platform) =>
    compact<PlatformRecord>({
      schema: RECORD_SCHEMA,
      tool: { name: 'smokestack', version: context.version },
      repository: context.repository,
      platform,
      status: 'failed',
      sizes: {},
      results: { status: 'failed', error, findings: [] },
      findings: [],
      error,
      ...runOf(context.vars)
    })
  )
}

function runOf(vars: RecordContext['vars']): Pick<PlatformRecord, 'commit' | 'runId' | 'runAttempt'> {
  return { commit: vars.GITHUB_SHA || undefined, runId: vars.GITHUB_RUN_ID || undefined, runAttempt: vars.GITHUB_RUN_ATTEMPT || undefined }
}

/** The file name of a platform's record. */
export function recordFileName(platform: string): string {
  return `${platformSlug(platform)}.json`
}

/** Writes each record to `dir` (created), mode 0644; returns the files. */
export function writeRecords(dir: string, records: readonly PlatformRecord[]): string[] {
  fs.mkdirSync(dir, { recursive: true })
  return records.map((r) => {
    const file = path.join(dir, recordFileName(r.platform))
    fs.writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`, { mode: 0o644 })
    fs.chmodSync(file, 0o644)
    return file
  })
}

/** What a front end needs of the inputs to write a run's records. */
export interface RecordInputs {
  push: boolean | 'by-digest'
  tags: readonly string[]
  recordDir?: string
  platforms: readonly string[]
}

/**
 * The records of a `push: by-digest` run, written to `record-dir` when set: from its report, or, for a run that
 * stopped before building, one failed record per requested platform. Undefined for any other push mode.
 */
export function emitRecords(
  inputs: RecordInputs,
  outcome: { report: RunReport } | { error: string },
  context: Omit<RecordContext, 'repository'>
): { records: PlatformRecord[]; files: string[] } | undefined {
  if (inputs.push !== 'by-digest') return undefined
  const ref = parseImageRef(inputs.tags[0])
  const full = { ...context, repository: ref ? repositoryName(ref) : inputs.tags[0] }
  const records = 'report' in outcome ? recordsOf(outcome.report, full) : failedRecords(inputs.platforms, outcome.error, full)
  return { records, files: inputs.recordDir ? writeRecords(inputs.recordDir, records) : [] }
}
