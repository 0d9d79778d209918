/**
 * Reading platform records strictly: a record is data from another job, so nothing in it is taken on trust.
 * Bounded in size, JSON only, schema 1 only, every field of the expected type and shape; anything else is
 * refused with a message naming the file and the field. Pure but for reading the directory.
 */
import { SMOKE_OUTCOMES, type HealthOutcome, type ProbeOutcome } from '../types.js'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { canonicalPlatform } from '../docker/platform.js'
import { RECORD_SCHEMA, type PlatformRecord, type RecordFinding, type RecordResults } from './record.js'

/** Far more than a record with many findings; a larger file is refused unread. */
export const MAX_RECORD_BYTES = 1024 * 1024
/** More records than any matrix: a directory with more is refused. */
export const MAX_RECORDS = 256

export class RecordError extends Error {
  override name = 'RecordError'
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(?:\/[a-z0-9]+)?$/
const TEXT_LIMIT = 64 * 1024

type Json = unknown

class Reader {
  constructor(private readonly file: string) {}

  fail(field: string, what: string): never {
    throw new RecordError(`${this.file}: ${field} ${what}`)
  }
  object(v: Json, field: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'is not an object')
    return v as Record<string, Json>
  }
  string(v: Json, field: string, pattern?: RegExp): string {
    if (typeof v !== 'string' || v.length > TEXT_LIMIT) this.fail(field, `is not a string${v !== undefined ? '' : ' (missing)'}`)
    if (pattern && !pattern.test(v)) this.fail(field, `is not valid: ${JSON.stringify(v.slice(0, 100))}`)
    return v
  }
  optString(v: Json, field: string, pattern?: RegExp): string | undefined {
    return v === undefined ? undefined : this.string(v, field, pattern)
  }
  count(v: Json, field: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(field, 'is not a whole number of 0 or more')
    return v
  }
  optCount(v: Json, field: string): number | undefined {
    return v === undefined ? undefined : this.count(v, field)
  }
  oneOf<T extends string>(v: Json, field: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(field, `is not one of ${allowed.join(', ')}`)
    return v as T
  }
  bool(v: Json, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'is not true or false')
    return v
  }
  array(v: Json, field: string, max: number): Json[] {
    if (!Array.isArray(v) || v.length > max) this.fail(field, `is not a list of at most ${max}`)
    return v
  }
  only(o: Record<string, Json>, field: string, keys: readonly string[]): void {
    const extra = Object.keys(o).filter((k) => !keys.includes(k))
    if (extra.length) this.fail(field, `has unknown fields: ${extra.slice(0, 5).join(', ')}`)
  }
}

function finding(r: Reader, v: Json, field: string): RecordFinding {
  const o = r.object(v, field)
  r.only(o, field, ['severity', 'code', 'message', 'file', 'line', 'fix'])
  return {
    severity: r.oneOf(o.severity, `${field}.severity`, ['error', 'warning', 'notice'] as const),
    code: r.string(o.code, `${field}.code`, /^[a-z0-9][a-z0-9-]{0,63}$/),
    message: r.string(o.message, `${field}.message`),
    file: r.optString(o.file, `${field}.file`),
    line: r.optCount(o.line, `${field}.line`),
    fix: r.optString(o.fix, `${field}.fix`)
  }
}

function health(r: Reader, v: Json): HealthOutcome {
  const o = r.object(v, 'results.smoke.health')
  r.only(o, 'results.smoke.health', ['status', 'command', 'durationMs', 'seenAfterMs', 'log'])
  return {
    status: r.oneOf(o.status, 'results.smoke.health.status', ['healthy', 'unhealthy', 'starting', 'exited'] as const),
    command: r.string(o.command, 'results.smoke.health.command'),
    durationMs: r.count(o.durationMs, 'results.smoke.health.durationMs'),
    seenAfterMs: r.optCount(o.seenAfterMs, 'results.smoke.health.seenAfterMs'),
    log: r.array(o.log, 'results.smoke.health.log', 100).map((e, i) => {
      const field = `results.smoke.health.log[${i}]`
      const x = r.object(e, field)
      r.only(x, field, ['exitCode', 'output'])
      if (typeof x.exitCode !== 'number' || !Number.isSafeInteger(x.exitCode)) r.fail(`${field}.exitCode`, 'is not a whole number')
      return { exitCode: x.exitCode, output: r.string(x.output, `${field}.output`) }
    })
  }
}

function probe(r: Reader, v: Json, field: string): ProbeOutcome {
  const o = r.object(v, field)
  r.only(o, field, ['probe', 'passed', 'attempts', 'last', 'durationMs', 'via'])
  return {
    probe: r.string(o.probe, `${field}.probe`),
    passed: r.bool(o.passed, `${field}.passed`),
    attempts: r.count(o.attempts, `${field}.attempts`),
    last: r.optString(o.last, `${field}.last`),
    durationMs: r.optCount(o.durationMs, `${field}.durationMs`),
    via: r.oneOf(o.via, `${field}.via`, ['nsenter', 'container'] as const)
  }
}

function results(r: Reader, v: Json): RecordResults {
  const o = r.object(v, 'results')
  r.only(o, 'results', [
    'status',
    'error',
    'imageId',
    'configDigest',
    'size',
    'compressedSize',
    'layers',
    'buildMs',
    'checkMs',
    'sizeMs',
    'smoke',
    'test',
    'findings',
    'digest',
    'localRef'
  ])
  let smoke: RecordResults['smoke']
  if (o.smoke !== undefined) {
    const s = r.object(o.smoke, 'results.smoke')
    r.only(s, 'results.smoke', ['outcome', 'exitCode', 'durationMs', 'message', 'health', 'probes'])
    smoke = {
      outcome: r.oneOf(s.outcome, 'results.smoke.outcome', SMOKE_OUTCOMES),
      exitCode: s.exitCode === null ? null : r.count(s.exitCode, 'results.smoke.exitCode'),
      durationMs: r.count(s.durationMs, 'results.smoke.durationMs'),
      message: r.string(s.message, 'results.smoke.message'),
      health: s.health === undefined ? undefined : health(r, s.health),
      probes: s.probes === undefined ? undefined : r.array(s.probes, 'results.smoke.probes', 50).map((p, i) => probe(r, p, `results.smoke.probes[${i}]`))
    }
  }
  let test: RecordResults['test']
  if (o.test !== undefined) {
    const t = r.object(o.test, 'results.test')
    r.only(t, 'results.test', ['exitCode', 'durationMs', 'timedOut'])
    test = {
      exitCode: r.count(t.exitCode, 'results.test.exitCode'),
      durationMs: r.count(t.durationMs, 'results.test.durationMs'),
      timedOut: r.bool(t.timedOut, 'results.test.timedOut')
    }
  }
  return {
    status: r.oneOf(o.status, 'results.status', ['passed', 'failed'] as const),
    error: r.optString(o.error, 'results.error'),
    imageId: r.optString(o.imageId, 'results.imageId'),
    configDigest: r.optString(o.configDigest, 'results.configDigest', DIGEST),
    size: r.optCount(o.size, 'results.size'),
    compressedSize: r.optCount(o.compressedSize, 'results.compressedSize'),
    layers: r.optCount(o.layers, 'results.layers'),
    buildMs: r.optCount(o.buildMs, 'results.buildMs'),
    checkMs: r.optCount(o.checkMs, 'results.checkMs'),
    sizeMs: r.optCount(o.sizeMs, 'results.sizeMs'),
    smoke,
    test,
    findings: r.array(o.findings, 'results.findings', 500).map((f, i) => finding(r, f, `results.findings[${i}]`)),
    digest: r.optString(o.digest, 'results.digest', DIGEST),
    localRef: r.optString(o.localRef, 'results.localRef')
  }
}

/** Parses one record's text; `file` names it in every message. */
export function parseRecord(text: string, file: string): PlatformRecord {
  const r = new Reader(file)
  let doc: Json
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new RecordError(`${file}: not JSON (${(e as Error).message})`)
  }
  const o = r.object(doc, 'the record')
  if (o.schema !== RECORD_SCHEMA)
    r.fail('schema', `is ${JSON.stringify(o.schema)}; this smokestack reads records of schema ${RECORD_SCHEMA} (written by smokestack with push: by-digest)`)
  r.only(o, 'the record', [
    'schema',
    'tool',
    'repository',
    'platform',
    'status',
    'manifest',
    'configDigest',
    'sizes',
    'results',
    'findings',
    'error',
    'commit',
    'runId',
    'runAttempt'
  ])
  const tool = r.object(o.tool, 'tool')
  r.only(tool, 'tool', ['name', 'version'])
  if (tool.name !== 'smokestack') r.fail('tool.name', 'is not smokestack')
  const platform = r.string(o.platform, 'platform', PLATFORM)
  if (canonicalPlatform(platform) !== platform) r.fail('platform', `is not in canonical form (${canonicalPlatform(platform)})`)
  let manifest: PlatformRecord['manifest']
  if (o.manifest !== undefined) {
    const m = r.object(o.manifest, 'manifest')
    r.only(m, 'manifest', ['digest', 'compressedSize'])
    manifest = { digest: r.string(m.digest, 'manifest.digest', DIGEST), compressedSize: r.count(m.compressedSize, 'manifest.compressedSize') }
  }
  const sizes = r.object(o.sizes, 'sizes')
  r.only(sizes, 'sizes', ['size', 'compressedSize', 'layers'])
  const record: PlatformRecord = {
    schema: RECORD_SCHEMA,
    tool: { name: 'smokestack', version: r.string(tool.version, 'tool.version') },
    repository: r.string(o.repository, 'repository', /^[^\s@]{1,255}$/),
    platform,
    status: r.oneOf(o.status, 'status', ['passed', 'failed'] as const),
    manifest,
    configDigest: r.optString(o.configDigest, 'configDigest', DIGEST),
    sizes: {
      size: r.optCount(sizes.size, 'sizes.size'),
      compressedSize: r.optCount(sizes.compressedSize, 'sizes.compressedSize'),
      layers: r.optCount(sizes.layers, 'sizes.layers')
    },
    results: results(r, o.results),
    findings: r.array(o.findings, 'findings', 500).map((c, i) => r.string(c, `findings[${i}]`)),
    error: r.optString(o.error, 'error'),
    commit: r.optString(o.commit, 'commit', /^[0-9a-fA-F]{7,64}$|^[\w.-]{1,128}$/),
    runId: r.optString(o.runId, 'runId', /^[\w.-]{1,64}$/),
    runAttempt: r.optString(o.runAttempt, 'runAttempt', /^[\w.-]{1,64}$/)
  }
  if (record.status === 'passed' && record.results.status !== 'passed') r.fail('status', 'is passed, but results.status is not')
  if (record.manifest && !record.configDigest) r.fail('configDigest', 'is missing, while a manifest was pushed')
  return record
}

export interface ReadRecord {
  file: string
  record: PlatformRecord
}

/** Every `*.json` in `dir` (recursively, as download-artifact lays out several artifacts), parsed. */
export function readRecords(dir: string): ReadRecord[] {
  let stat: fs.Stats
  try {
    stat = fs.statSync(dir)
  } catch {
    throw new RecordError(`${dir}: no such directory; give the directory the records were downloaded to (actions/download-artifact's path)`)
  }
  if (!stat.isDirectory()) throw new RecordError(`${dir}: not a directory; give the directory the records were downloaded to`)
  const files: string[] = []
  const walk = (at: string, depth: number): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name)
      if (entry.isDirectory() && depth < 3) walk(full, depth + 1)
      else if (entry.isFile() && entry.name.endsWith('.json')) files.push(full)
      if (files.length > MAX_RECORDS) throw new RecordError(`${dir}: more than ${MAX_RECORDS} record files; point records at the downloaded records only`)
    }
  }
  walk(dir, 0)
  return files.map((file) => {
    const shown = path.relative(dir, file)
    const size = fs.statSync(file).size
    if (size > MAX_RECORD_BYTES) throw new RecordError(`${shown}: ${size} bytes, larger than a record can be (${MAX_RECORD_BYTES}); it is not read`)
    return { file: shown, record: parseRecord(fs.readFileSync(file, 'utf8'), shown) }
  })
}
