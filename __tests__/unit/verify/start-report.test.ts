import { describe, expect, it } from '@jest/globals'
import { painter, renderDetails } from '../../../src/cli/render.js'
import { buildReport, startText, type RunReport } from '../../../src/report/model.js'
import { resultsDocument } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import type { SmokeResult } from '../../../src/types.js'
import { built, result } from '../../fixtures/outcomes.js'

const report = (smoke: SmokeResult): RunReport =>
  buildReport(result([{ platform: 'linux/arm64', build: built({ ref: 'smokestack-local/x:arm64' }), check: { findings: [], durationMs: 1, start: smoke } }]), {
    sizeGated: false
  })

const healthy: SmokeResult = {
  outcome: 'healthy',
  passed: true,
  exitCode: null,
  durationMs: 1234,
  message: 'healthy in 1.2 s; removed',
  health: { status: 'healthy', command: 'CMD ["/app","-health"]', durationMs: 1234, seenAfterMs: 140, log: [{ exitCode: 0, output: 'health: 200 OK' }] }
}
const unhealthy: SmokeResult = {
  outcome: 'unhealthy',
  passed: false,
  exitCode: null,
  durationMs: 10_000,
  message: 'not healthy within 10.0 s: the last of 38 probes exited with 1',
  health: { status: 'unhealthy', command: 'CMD ["/app","-health"]', durationMs: 10_000, log: [{ exitCode: 1, output: 'health: 503 ```</details><img src=x>' }] }
}

describe('the start column and the results for readiness outcomes', () => {
  it('says healthy in, probe ok in, unhealthy, probe failed, not started', () => {
    expect(startText(healthy)).toBe('healthy in 1.2 s')
    expect(startText({ outcome: 'probe-ok', passed: true, exitCode: null, durationMs: 400, message: '' })).toBe('probe ok in 0.4 s')
    expect(startText(unhealthy)).toBe('unhealthy')
    expect(startText({ outcome: 'probe-failed', passed: false, exitCode: null, durationMs: 0, message: '' })).toBe('probe failed')
    expect(startText({ outcome: 'not-started', passed: false, exitCode: null, durationMs: 0, message: '' })).toBe('not started')
  })
  it('carries the health outcome and the probes in the results JSON', () => {
    const probes = [{ probe: 'tcp://:8080', passed: true, attempts: 2, last: 'connected', durationMs: 300, via: 'nsenter' as const }]
    const doc = resultsDocument(report({ ...healthy, probes })) as Record<string, { smoke: Record<string, unknown> }>
    expect(doc['linux/arm64']!.smoke).toMatchObject({ outcome: 'healthy', health: healthy.health, probes })
  })
})

describe('the health log on failure', () => {
  it('is in the summary, in a code block its output cannot close', () => {
    const md = renderSummary(report(unhealthy))
    expect(md).toContain('| unhealthy |')
    expect(md).toContain('Health log (last probes):\n\n````text\nexit 1: health: 503 ```</details><img src=x>\n````')
  })
  it('is in the command line’s details', () => {
    const lines = renderDetails(report(unhealthy), painter(false))
    expect(lines).toContain('  health log (last probes):')
    expect(lines).toContain('    exit 1: health: 503 ```</details><img src=x>')
  })
  it('is not shown for a server that passed', () => {
    expect(renderSummary(report(healthy))).not.toContain('Health log')
  })
})
