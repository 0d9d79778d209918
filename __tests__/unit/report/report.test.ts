import { describe, it, expect } from '@jest/globals'
import { buildReport } from '../../../src/report/model.js'
import { computeOutputs, runDocument } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import { annotationFor, annotationsOf } from '../../../src/report/annotations.js'
import { platformVerdict } from '../../../src/pipeline/status.js'
import type { PlatformOutcome } from '../../../src/pipeline/outcomes.js'
import { built, missingLoaderArm64, passedAmd64, result } from '../../fixtures/outcomes.js'

const gated = { sizeGated: false }

describe('platform verdict', () => {
  it('passes a platform that built, started and has no error finding', () => {
    expect(platformVerdict(passedAmd64, gated)).toEqual({ status: 'passed', findings: [] })
  })
  it('names the first cause: build, then start, then findings, then the size gates', () => {
    const noBuild: PlatformOutcome = { platform: 'linux/amd64', build: built({ ok: false, error: 'exit code 1', logTail: 'compile error' }) }
    expect(platformVerdict(noBuild, gated).reason).toEqual({ kind: 'build', message: 'exit code 1', logTail: 'compile error' })
    const start = platformVerdict(missingLoaderArm64, gated).reason
    expect(start?.kind).toBe('start-failed')
    if (start?.kind === 'start-failed') expect(start.explanation.cause?.code).toBe('missing-loader')
    const finding: PlatformOutcome = {
      ...passedAmd64,
      check: { ...passedAmd64.check!, findings: [{ severity: 'error', code: 'arch-mismatch', message: 'built for aarch64' }] }
    }
    expect(platformVerdict(finding, gated).reason).toMatchObject({ kind: 'finding', finding: { code: 'arch-mismatch' } })
    const over = { severity: 'error' as const, code: 'size-budget' as const, message: 'too big' }
    expect(platformVerdict({ ...passedAmd64, size: { ...passedAmd64.size!, overBudget: over } }, gated).reason).toEqual({ kind: 'budget', finding: over })
  })
  it('fails an unmeasured image only when a size gate needs the figure', () => {
    const unmeasured = { ...passedAmd64, size: { largestLayers: [], durationMs: 5, error: 'docker save failed' } }
    expect(platformVerdict(unmeasured, gated).status).toBe('passed')
    expect(platformVerdict(unmeasured, { sizeGated: true }).reason).toEqual({
      kind: 'unmeasured',
      message: 'the size gate could not be applied: docker save failed'
    })
  })
  it('fails a platform whose check could not run, saying so', () => {
    const broken = { ...passedAmd64, check: { findings: [], durationMs: 1, error: 'engine went away' } }
    expect(platformVerdict(broken, gated).reason).toEqual({ kind: 'check-error', message: 'the image could not be checked: engine went away' })
  })
  it('passes a non-zero exit code that was accepted, and fails a crash', () => {
    const crashed = {
      ...passedAmd64,
      check: {
        findings: [],
        durationMs: 1,
        start: { outcome: 'crashed' as const, passed: false, exitCode: 3, durationMs: 1, message: 'exited with code 3', outputTail: 'boom' }
      }
    }
    expect(platformVerdict(crashed, gated).reason).toEqual({ kind: 'crashed', message: 'exited with code 3', outputTail: 'boom' })
  })
})

describe('report', () => {
  const deltas = [
    { platform: 'linux/amd64', bytes: 3100, percent: 0.2, change: 'changed' as const },
    { platform: 'linux/arm64', bytes: -10, percent: -0.1, change: 'changed' as const }
  ]
  const run = result([passedAmd64, missingLoaderArm64], { baseline: { ref: 'r:latest', available: true, deltas, growthGateSkipped: false } })

  it('computes the outputs from the results', () => {
    const out = computeOutputs(buildReport(run, gated))
    expect(out.size).toBe('7000000')
    expect(out['compressed-size']).toBe('2000000')
    expect(out['size-delta']).toBe('3100')
    expect(out.imageid).toBe('')
    expect(JSON.parse(out.sizes)['linux/amd64']).toEqual({ size: 5_100_000, compressedSize: 2_000_000, layers: 2, delta: 3100 })
    const doc = JSON.parse(out.results)
    expect(doc['linux/arm64'].smoke.outcome).toBe('start-failed')
    expect(doc['linux/arm64'].findings[0].code).toBe('missing-loader')
    expect(doc['linux/arm64'].status).toBe('failed')
    expect(doc['linux/amd64'].configDigest).toBe('sha256:c1')
    expect(computeOutputs(buildReport(result([passedAmd64]), gated)).imageid).toBe('sha256:a')
  })
  it('renders a summary with the verdict, the table and the details', () => {
    const md = renderSummary(
      buildReport({ ...run, advice: [{ severity: 'warning', code: 'cgo-on-musl', message: 'go build with cgo', file: 'Dockerfile', line: 4 }] }, gated)
    )
    expect(md).toContain('1 of 2 platforms failed')
    expect(md).toMatch(/\| `linux\/amd64` \| ✅ passed \| 5\.1 MB \| 2 MB \|/)
    expect(md).toContain('did not start')
    expect(md).toContain('missing-loader')
    expect(md).toContain('<code>Dockerfile:4</code>')
    expect(md).toContain('<details open><summary>❌ linux/arm64')
    // The runtime's words once, then the finding that explains them; no repeated output tail.
    expect(md).toContain('- ❌ The runtime said <code>exec /app: no such file or directory</code>; the cause:')
    expect(md).not.toContain('Last lines of its output')
  })
  it('keeps the results and says what was published when publishing fails midway', () => {
    const publish = {
      ok: false,
      platformDigests: {},
      compressedSizes: {},
      published: ['r1/app:1'],
      restored: [],
      error: 'push to r2/app:1 failed: connection refused'
    }
    const report = buildReport(result([passedAmd64], { publish }), gated)
    expect(report.passed).toBe(false)
    const out = computeOutputs(report)
    expect(out.digest).toBe('')
    expect(out.published).toBe('r1/app:1')
    expect(JSON.parse(out.results)['linux/amd64'].status).toBe('passed')
    const md = renderSummary(report)
    expect(md).toContain('publishing failed')
    expect(md).toContain('Published before it stopped: <code>r1/app:1</code>')
    expect(runDocument(report).publish).toEqual({ ok: false, published: ['r1/app:1'], restored: [], error: publish.error })
  })
  it('points Dockerfile annotations at the line, relative to the workspace', () => {
    const a = annotationFor({ severity: 'warning', code: 'cgo-on-musl', message: 'm', file: '/ws/app/Dockerfile', line: 4, endLine: 5 }, '/ws')
    expect(a.props).toMatchObject({ file: 'app/Dockerfile', startLine: 4, endLine: 5 })
    const b = annotationFor({ severity: 'error', code: 'missing-loader', message: 'm', file: '/code/app', platform: 'linux/arm64' }, '/ws')
    expect(b.props.file).toBeUndefined()
    expect(b.message).toMatch(/^linux\/arm64: m/)
  })
  it('annotates a failed start once, with its explanation, and a crash with its output', () => {
    const crashed: PlatformOutcome = {
      ...passedAmd64,
      check: {
        findings: [],
        durationMs: 1,
        start: { outcome: 'crashed', passed: false, exitCode: 3, durationMs: 1, message: 'exited with code 3', outputTail: 'line 1\ncompile error' }
      }
    }
    const all = annotationsOf(buildReport(result([missingLoaderArm64, crashed]), gated), '/ws')
    expect(all.filter((a) => a.props.title === 'smokestack: missing-loader')).toEqual([])
    const arm = all.find((a) => a.props.title === 'smokestack: linux/arm64 failed')!
    expect(arm.message).toContain('exec /app: no such file or directory')
    expect(arm.message).toContain('loader /lib/ld-linux-aarch64.so.1 is missing')
    const amd = all.find((a) => a.props.title === 'smokestack: linux/amd64 failed')!
    expect(amd.message).toContain('exited with code 3')
    expect(amd.message).toContain('compile error')
  })
})
