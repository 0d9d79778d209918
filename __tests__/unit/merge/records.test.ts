import { describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { buildReport } from '../../../src/report/model.js'
import { emitRecords, recordsOf, writeRecords, type PlatformRecord } from '../../../src/record/record.js'
import { MAX_RECORD_BYTES, parseRecord, readRecords, RecordError } from '../../../src/record/parse.js'
import { missingLoaderArm64, passedAmd64, result } from '../../fixtures/outcomes.js'

const D1 = `sha256:${'1'.repeat(64)}`
const C1 = `sha256:${'c'.repeat(64)}`
const vars = { GITHUB_SHA: 'a'.repeat(40), GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2' }
const context = { repository: '127.0.0.1:5000/app', version: '1.2.3', vars }

function pushedReport() {
  const amd64 = { ...passedAmd64, size: { ...passedAmd64.size!, configDigest: C1 } }
  return buildReport(
    result([amd64], {
      publish: {
        ok: true,
        platformDigests: { 'linux/amd64': D1 },
        compressedSizes: { 'linux/amd64': 1234 },
        published: [],
        restored: [],
        byDigest: '127.0.0.1:5000/app'
      }
    }),
    { sizeGated: false }
  )
}

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('records of a by-digest run', () => {
  it('carry the pushed manifest, config, sizes, results, finding codes, commit, run and version', () => {
    const [r] = recordsOf(pushedReport(), context)
    expect(r).toMatchObject({
      schema: 1,
      tool: { name: 'smokestack', version: '1.2.3' },
      repository: '127.0.0.1:5000/app',
      platform: 'linux/amd64',
      status: 'passed',
      manifest: { digest: D1, compressedSize: 1234 },
      configDigest: C1,
      sizes: { size: 5_100_000, compressedSize: 1234, layers: 2 },
      findings: [],
      commit: vars.GITHUB_SHA,
      runId: '77',
      runAttempt: '2'
    })
    expect(r.results).toMatchObject({ status: 'passed', digest: D1, configDigest: C1, smoke: { outcome: 'exited', exitCode: 0 } })
    expect(r.error).toBeUndefined()
  })

  it('of a failed run say failed, name the cause and push nothing, for the passed platform too', () => {
    const report = buildReport(result([passedAmd64, missingLoaderArm64]), { sizeGated: false })
    const [amd64, arm64] = recordsOf(report, context)
    expect(arm64).toMatchObject({
      status: 'failed',
      findings: ['missing-loader'],
      error: expect.stringMatching(/^exec \/app: no such file or directory: .* Here: loader \/lib\/ld-linux-aarch64\.so\.1 is missing/)
    })
    expect(arm64.manifest).toBeUndefined()
    expect(amd64).toMatchObject({ status: 'passed', error: 'nothing was pushed: not every platform of this job passed' })
    expect(amd64.manifest).toBeUndefined()
  })

  it('are written one file per platform, mode 0644, and read back as they were', () => {
    const records = recordsOf(pushedReport(), context)
    const [file] = writeRecords(path.join(dir, 'out'), records)
    expect(path.basename(file)).toBe('linux-amd64.json')
    expect(fs.statSync(file).mode & 0o777).toBe(0o644)
    expect(readRecords(path.join(dir, 'out'))).toEqual([{ file: 'linux-amd64.json', record: records[0] }])
  })

  it('for a run that stopped before building: one failed record per requested platform', () => {
    const emitted = emitRecords(
      { push: 'by-digest', tags: ['127.0.0.1:5000/app:x'], platforms: ['linux/amd64', 'linux/arm64'], recordDir: dir },
      { error: 'no engine' },
      { version: '1', vars }
    )
    expect(emitted?.records.map((r) => [r.platform, r.status, r.error, r.repository])).toEqual([
      ['linux/amd64', 'failed', 'no engine', '127.0.0.1:5000/app'],
      ['linux/arm64', 'failed', 'no engine', '127.0.0.1:5000/app']
    ])
    expect(fs.readdirSync(dir).sort()).toEqual(['linux-amd64.json', 'linux-arm64.json'])
    expect(emitRecords({ push: true, tags: ['a:1'], platforms: [] }, { error: 'x' }, { version: '1', vars })).toBeUndefined()
  })
})

describe('reading a record strictly', () => {
  const good = (): PlatformRecord => recordsOf(pushedReport(), context)[0]
  const refused = (doc: unknown): string => {
    try {
      parseRecord(typeof doc === 'string' ? doc : JSON.stringify(doc), 'r/linux-amd64.json')
    } catch (e) {
      expect(e).toBeInstanceOf(RecordError)
      return (e as Error).message
    }
    throw new Error('accepted')
  }

  it('refuses what is not a record of schema 1, naming the file and the field', () => {
    expect(refused('{not json')).toMatch(/^r\/linux-amd64\.json: not JSON/)
    expect(refused([])).toBe('r/linux-amd64.json: the record is not an object')
    expect(refused({ ...good(), schema: 2 })).toMatch(/schema is 2; this smokestack reads records of schema 1/)
    expect(refused({ ...good(), schema: '1' })).toMatch(/schema is "1"/)
    expect(refused({ ...good(), platform: 'linux/arm64/v8' })).toMatch(/platform is not in canonical form \(linux\/arm64\)/)
    expect(refused({ ...good(), platform: 'linux/../x' })).toMatch(/platform is not valid/)
    expect(refused({ ...good(), manifest: { digest: 'sha256:short', compressedSize: 1 } })).toMatch(/manifest\.digest is not valid/)
    expect(refused({ ...good(), manifest: { digest: D1, compressedSize: -1 } })).toMatch(/manifest\.compressedSize is not a whole number/)
    expect(refused({ ...good(), status: 'ok' })).toMatch(/status is not one of passed, failed/)
    expect(refused({ ...good(), extra: true })).toMatch(/the record has unknown fields: extra/)
    expect(refused({ ...good(), tool: { name: 'other', version: '1' } })).toMatch(/tool\.name is not smokestack/)
    expect(refused({ ...good(), results: { ...good().results, status: 'failed' } })).toMatch(/status is passed, but results\.status is not/)
    expect(refused({ ...good(), results: { ...good().results, findings: [{ severity: 'fatal', code: 'x', message: 'm' }] } })).toMatch(
      /results\.findings\[0\]\.severity/
    )
    expect(refused({ ...good(), configDigest: undefined })).toMatch(/configDigest is missing, while a manifest was pushed/)
    expect(refused({ ...good(), commit: 'a b; rm -rf' })).toMatch(/commit is not valid/)
  })

  it('refuses an oversized file unread, and a directory that is not there', () => {
    fs.writeFileSync(path.join(dir, 'big.json'), Buffer.alloc(MAX_RECORD_BYTES + 1, 0x20))
    expect(() => readRecords(dir)).toThrow(/big\.json: 1048577 bytes, larger than a record can be/)
    expect(() => readRecords(path.join(dir, 'missing'))).toThrow(/no such directory/)
  })

  it('reads the records in artifact subdirectories and skips links and other files', () => {
    writeRecords(path.join(dir, 'record-linux-amd64'), [good()])
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x')
    fs.symlinkSync('/etc/passwd', path.join(dir, 'evil.json'))
    expect(readRecords(dir).map((r) => r.file)).toEqual([path.join('record-linux-amd64', 'linux-amd64.json')])
  })
})
