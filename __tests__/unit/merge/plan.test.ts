import { describe, it, expect } from '@jest/globals'
import { planMerge, planProblems } from '../../../src/merge/plan.js'
import { indexOf, VerifyError, type VerifiedManifest } from '../../../src/merge/verify.js'
import { mergeFailure, mergeReport } from '../../../src/merge/report.js'
import { MEDIA } from '../../../src/publish/source.js'
import type { ReadRecord } from '../../../src/record/parse.js'
import type { PlatformRecord } from '../../../src/record/record.js'
import { computeOutputs } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'

const SHA = 'f'.repeat(40)
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
const digest = (c: string): string => `sha256:${c.repeat(64)}`

function record(platform: string, overrides: Partial<PlatformRecord> = {}): ReadRecord {
  const slug = platform.replace(/\//g, '-')
  return {
    file: `record-${slug}/${slug}.json`,
    record: {
      schema: 1,
      tool: { name: 'smokestack', version: '0.1.0' },
      repository: '127.0.0.1:5000/app',
      platform,
      status: 'passed',
      manifest: { digest: digest('1'), compressedSize: 100 },
      configDigest: digest('c'),
      sizes: { size: 300, compressedSize: 100, layers: 2 },
      results: {
        status: 'passed',
        findings: [],
        smoke: { outcome: 'exited', exitCode: 0, durationMs: 5, message: 'exited with code 0' },
        buildMs: 1000,
        checkMs: 200
      },
      findings: [],
      commit: SHA,
      ...overrides
    }
  }
}

const all = (): ReadRecord[] => PLATFORMS.map((p) => record(p))
const request = { platforms: PLATFORMS, commit: SHA, tags: ['127.0.0.1:5000/app:1.0', '127.0.0.1:5000/other:latest'] }

describe('the merge plan', () => {
  it('takes one passed, pushed record per expected platform from this commit', () => {
    const plan = planMerge(all(), request)
    expect(planProblems(plan)).toEqual([])
    expect(plan.repository).toBe('127.0.0.1:5000/app')
    expect(plan.platforms.map((p) => p.read?.record.platform)).toEqual(PLATFORMS)
  })

  it('blocks on a failed, a missing, a duplicated and an unpushed platform, naming each', () => {
    const records = [
      record('linux/amd64', {
        status: 'failed',
        error: 'exec /app: no such file or directory',
        manifest: undefined,
        results: { status: 'failed', findings: [] }
      }),
      record('linux/arm/v7'),
      { ...record('linux/arm/v7'), file: 'again/linux-arm-v7.json' }
    ]
    expect(planProblems(planMerge(records, request))).toEqual([
      'linux/amd64 failed in its own job: exec /app: no such file or directory',
      'linux/arm64: no record; its job did not finish, or its record was not downloaded',
      'linux/arm/v7: 2 records (record-linux-arm-v7/linux-arm-v7.json, again/linux-arm-v7.json); give each platform one job'
    ])
    const unpushed = planMerge(
      [
        record('linux/amd64', { manifest: undefined, error: 'nothing was pushed: not every platform of this job passed' }),
        record('linux/arm64'),
        record('linux/arm/v7')
      ],
      request
    )
    expect(planProblems(unpushed)).toEqual(['linux/amd64: its job pushed nothing (nothing was pushed: not every platform of this job passed)'])
  })

  it('refuses records from another commit, naming them', () => {
    const records = [record('linux/amd64', { commit: 'e'.repeat(40) }), record('linux/arm64', { commit: undefined }), record('linux/arm/v7')]
    expect(planProblems(planMerge(records, request))).toEqual([
      `records from another commit than this run's ${SHA}: record-linux-amd64/linux-amd64.json (commit eeeeeeeeeeee), record-linux-arm64/linux-arm64.json (no commit)`
    ])
    // Without a commit to compare with, the records must agree with each other.
    expect(planProblems(planMerge(records, { ...request, commit: undefined }))[0]).toMatch(/^the records come from different commits/)
    expect(planProblems(planMerge(all(), { ...request, commit: undefined }))).toEqual([])
  })

  it('refuses a platform not asked for, two repositories, and a tag on another registry', () => {
    const records = [...all(), record('linux/s390x')]
    expect(planProblems(planMerge(records, request))).toEqual([
      'record-linux-s390x/linux-s390x.json: platform linux/s390x is not one of the expected platforms (linux/amd64, linux/arm64, linux/arm/v7)'
    ])
    const twoRepos = [record('linux/amd64', { repository: '127.0.0.1:5000/other' }), record('linux/arm64'), record('linux/arm/v7')]
    expect(planProblems(planMerge(twoRepos, request))[0]).toMatch(/^the records name different repositories: .*\(127\.0\.0\.1:5000\/other\)/)
    expect(planProblems(planMerge(all(), { ...request, tags: ['ghcr.io/o/app:1'] }))).toEqual([
      "tag ghcr.io/o/app:1 is on ghcr.io, the records' images on 127.0.0.1:5000: the merge tags on the registry the platforms were pushed to"
    ])
  })
})

function verified(platform: string, mediaType: string = MEDIA.ociManifest, c = '1'): VerifiedManifest {
  return { platform, digest: digest(c), mediaType, bytes: Buffer.from('{}'), configDigest: digest('c'), blobs: [], compressedSize: 120 }
}

describe('the merged list', () => {
  it('is an OCI index of OCI manifests, with the annotations, in the expected order', () => {
    const index = indexOf([verified('linux/amd64', MEDIA.ociManifest, '1'), verified('linux/arm/v7', MEDIA.ociManifest, '2')], {
      'org.opencontainers.image.source': 'https://example.test/app'
    })
    const doc = JSON.parse(index.bytes.toString()) as { mediaType: string; manifests: { digest: string; platform: unknown }[]; annotations: unknown }
    expect(index.mediaType).toBe(MEDIA.ociIndex)
    expect(doc.manifests.map((m) => [m.digest, m.platform])).toEqual([
      [digest('1'), { architecture: 'amd64', os: 'linux' }],
      [digest('2'), { architecture: 'arm', os: 'linux', variant: 'v7' }]
    ])
    expect(doc.annotations).toEqual({ 'org.opencontainers.image.source': 'https://example.test/app' })
  })
  it('is a Docker list of Docker manifests; never mixed, and no annotations there', () => {
    expect(indexOf([verified('linux/amd64', MEDIA.dockerManifest)], {}).mediaType).toBe(MEDIA.dockerList)
    expect(() => indexOf([verified('linux/amd64', MEDIA.dockerManifest), verified('linux/arm64')], {})).toThrow(VerifyError)
    expect(() => indexOf([verified('linux/amd64', MEDIA.dockerManifest)], { a: 'b' })).toThrow(/annotations need an OCI image index/)
  })
})

describe('the merge report', () => {
  it('renders every platform with its results and registry sizes, and the outputs a single run gives', () => {
    const platforms = all().map((r, i) => ({
      platform: r.record.platform,
      record: r.record,
      verified: { ...verified(r.record.platform, MEDIA.ociManifest, String(i + 1)), compressedSize: 1000 + i }
    }))
    const publish = { ok: true, digest: digest('9'), platformDigests: {}, compressedSizes: {}, published: ['127.0.0.1:5000/app:1.0'], restored: [] }
    const report = mergeReport(platforms, publish, [])
    expect(report.passed).toBe(true)
    expect(mergeFailure(report)).toBeUndefined()
    const out = computeOutputs(report)
    expect(out.digest).toBe(digest('9'))
    expect(JSON.parse(out.sizes)).toEqual({
      'linux/amd64': { size: 300, compressedSize: 1000, layers: 2 },
      'linux/arm64': { size: 300, compressedSize: 1001, layers: 2 },
      'linux/arm/v7': { size: 300, compressedSize: 1002, layers: 2 }
    })
    expect(JSON.parse(out.results)['linux/arm64']).toMatchObject({ status: 'passed', digest: digest('2'), configDigest: digest('c') })
    const summary = renderSummary(report, 'smokestack merge')
    expect(summary).toContain('**✅ 3/3 platforms passed · published')
    expect(summary).toContain('| `linux/arm/v7` | ✅ passed |')
  })
  it('says what blocked the merge and that nothing was published', () => {
    const plan = planMerge(
      [record('linux/amd64', { status: 'failed', error: 'crashed (2)', manifest: undefined, results: { status: 'failed', findings: [] } })],
      request
    )
    const report = mergeReport(
      plan.platforms.map((p) => ({ platform: p.platform, record: p.read?.record, problem: p.problem })),
      undefined,
      plan.problems
    )
    expect(report.passed).toBe(false)
    expect(mergeFailure(report)).toBe(
      'Nothing was published: linux/amd64 failed in its own job: crashed (2); linux/arm64: no record; its job did not finish, or its record was not downloaded; linux/arm/v7: no record; its job did not finish, or its record was not downloaded'
    )
    expect(renderSummary(report, 'smokestack merge')).toContain('3 of 3 platforms failed')
  })
})
