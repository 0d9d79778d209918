import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import * as http from 'node:http'
import * as net from 'node:net'
import {
  engineTime,
  healthCannotPass,
  healthFinding,
  healthLogText,
  healthProbes,
  healthcheckOf,
  mergeProbes,
  planHealth,
  probeCause,
  type HealthProbe
} from '../../../src/verify/health.js'
import { chooseProbeWay, probeViaFromEnv, type Privilege } from '../../../src/verify/probe.js'
import { PROBE_NODE_SCRIPT, parseProbeOutput } from '../../../src/verify/probe-scripts.js'

const curl = { test: ['CMD', 'curl', '-f', 'http://localhost:5000/ping'] }
const probe = (exitCode: number, output: string, start = `t${Math.random()}`): HealthProbe => ({ start, end: '', exitCode, output })

describe('the HEALTHCHECK in the image config', () => {
  it('reads CMD and CMD-SHELL forms and their timing (nanoseconds)', () => {
    expect(healthcheckOf({ Healthcheck: { Test: ['CMD', '/app', '-health'], Interval: 30e9, Timeout: 3e9, StartPeriod: 5e9, Retries: 3 } })).toEqual({
      test: ['CMD', '/app', '-health'],
      intervalMs: 30_000,
      timeoutMs: 3_000,
      startPeriodMs: 5_000,
      retries: 3
    })
    expect(healthcheckOf({ Healthcheck: { Test: ['CMD-SHELL', 'wget -q --spider http://localhost/'] } })?.test[0]).toBe('CMD-SHELL')
  })
  it('has none for NONE, an empty test, or no Healthcheck', () => {
    expect(healthcheckOf({ Healthcheck: { Test: ['NONE'] } })).toBeUndefined()
    expect(healthcheckOf({ Healthcheck: { Test: [] } })).toBeUndefined()
    expect(healthcheckOf({ Healthcheck: { Test: ['CMD'] } })).toBeUndefined()
    expect(healthcheckOf({})).toBeUndefined()
    expect(healthcheckOf(null)).toBeUndefined()
  })
})

describe('the three modes', () => {
  const hc = healthcheckOf({ Healthcheck: { Test: ['CMD', '/app', '-health'], Interval: 30e9, Timeout: 3e9, StartPeriod: 5e9 } })
  it('auto with a HEALTHCHECK: the check’s own timing, bounded by smoke-timeout, said in the log', () => {
    const plan = planHealth(hc, 'auto', 10_000)
    expect(plan.use).toBe(true)
    expect(plan.createArgs).toEqual(['--health-interval', '250ms', '--health-start-period', '10000ms', '--health-timeout', '3000ms', '--health-retries', '3'])
    expect(plan.note).toContain('probed every 0.25 s for up to 10 s (smoke-timeout)')
    expect(plan.note).toContain("the image's own timing (every 30 s after a 5 s start period) is for production")
    expect(planHealth({ test: ['CMD', 'x'], timeoutMs: 60_000 }, 'auto', 2_000).createArgs).toContain('2000ms')
  })
  it('true with a HEALTHCHECK is auto; true without one is missing; false turns it off', () => {
    expect(planHealth(hc, 'true', 10_000).use).toBe(true)
    expect(planHealth(undefined, 'true', 10_000)).toEqual({ use: false, createArgs: [], missing: true })
    expect(planHealth(undefined, 'auto', 10_000)).toEqual({ use: false, createArgs: [] })
    expect(planHealth(hc, 'false', 10_000)).toMatchObject({ use: false, createArgs: ['--no-healthcheck'] })
  })
})

describe('the health log', () => {
  it('is made safe and short, and merged without repeats, the last ten kept', () => {
    const raw = { Log: [{ Start: 'a', End: 'b', ExitCode: 1, Output: `\x1b[31m::error::x\x1b[0m ${'y'.repeat(2000)}` }] }
    const [p] = healthProbes(raw)
    expect(p!.output.startsWith('…')).toBe(true)
    expect(p!.output.length).toBeLessThanOrEqual(500)
    expect(healthProbes({ Log: [{ Start: 's', ExitCode: 1, Output: '::warning::boo' }] })[0]!.output).toBe(': :warning::boo')
    const a = probe(1, 'x', '1')
    expect(mergeProbes([a], [a, probe(0, 'ok', '2')]).map((x) => x.start)).toEqual(['1', '2'])
    expect(
      mergeProbes(
        [],
        Array.from({ length: 40 }, (_, i) => probe(1, '', String(i)))
      )
    ).toHaveLength(10)
    expect(healthLogText([probe(1, 'refused\nreally'), probe(0, '')])).toBe('exit 1: really\nexit 0: (no output)')
  })
  it('reads engine times with nanoseconds', () => {
    expect(engineTime('2026-12-01T23:10:49.157934011Z')).toBe(Date.UTC(2026, 11, 1, 23, 10, 49, 157))
    expect(engineTime('')).toBeUndefined()
  })
})

describe('why a probe failed', () => {
  const table: Array<[HealthProbe, ReturnType<typeof probeCause>]> = [
    [
      probe(-1, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": executable file not found in $PATH: unknown'),
      { kind: 'command-missing', program: 'curl' }
    ],
    [probe(127, '/bin/sh: curl: not found\n'), { kind: 'command-missing', program: 'curl' }],
    [probe(127, 'sh: 1: wget: not found'), { kind: 'command-missing', program: 'wget' }],
    [probe(1, "wget: can't connect to remote host (127.0.0.1): Connection refused"), { kind: 'refused', port: 5000 }],
    [probe(7, 'curl: (7) Failed to connect to localhost port 5000 after 0 ms: Connection refused'), { kind: 'refused', port: 5000 }],
    [probe(1, 'health: Get "http://127.0.0.1:9090/healthz": dial tcp 127.0.0.1:9090: connect: connection refused'), { kind: 'refused', port: 9090 }],
    [probe(22, 'curl: (22) The requested URL returned error: 503'), { kind: 'http', status: 503 }],
    [probe(1, 'wget: server returned error: HTTP/1.1 500 Internal Server Error'), { kind: 'http', status: 500 }],
    [probe(1, 'health: 404 Not Found'), { kind: 'http', status: 404 }],
    [probe(-1, 'Health check exceeded timeout (3s)'), { kind: 'timeout' }],
    [probe(3, 'database not ready'), { kind: 'exit', code: 3 }]
  ]
  for (const [p, cause] of table) it(`${JSON.stringify(p.output.slice(0, 60))} → ${cause.kind}`, () => expect(probeCause(p, curl)).toEqual(cause))
  it('gives up at once only when the command is missing', () => {
    expect(healthCannotPass([probe(-1, 'exec: "curl": executable file not found in $PATH')], curl)).toBe(true)
    expect(healthCannotPass([probe(1, 'Connection refused')], curl)).toBe(false)
    expect(healthCannotPass([probe(-1, 'exec: "curl": executable file not found in $PATH'), probe(0, 'ok')], curl)).toBe(false)
    expect(healthCannotPass([], curl)).toBe(false)
  })
  it('explains each cause in a finding that names it, quoting the output as code', () => {
    const missing = healthFinding(curl, [probe(-1, 'exec: "curl": executable file not found in $PATH')], 10_000, 'linux/arm64')
    expect(missing).toMatchObject({ severity: 'error', code: 'healthcheck-command-missing', platform: 'linux/arm64' })
    expect(missing.message).toContain('`HEALTHCHECK CMD ["curl","-f","http://localhost:5000/ping"]` runs `curl`, which is not in the image')
    expect(missing.fix).toContain('apk add --no-cache curl')
    const refused = healthFinding(curl, [probe(7, 'curl: (7) Failed to connect to localhost port 5000: Connection refused')], 10_000, 'linux/amd64')
    expect(refused.message).toContain('found nothing listening on port 5000 within 10 s')
    expect(healthFinding(curl, [probe(22, 'curl: (22) The requested URL returned error: 503')], 10_000, 'x').message).toContain('got HTTP 503 from the server')
    expect(healthFinding(curl, [], 10_000, 'x').message).toContain('no probe finished')
    const hostile = healthFinding(curl, [probe(1, 'a `b` <img src=x onerror=alert(1)>')], 10_000, 'x')
    expect(hostile.message).toContain("(`a 'b' <img src=x onerror=alert(1)>`)")
    expect(hostile.evidence).toBeUndefined()
  })
})

describe('how probes reach the container', () => {
  const p = (over: Partial<Privilege>): Privilege => ({ root: false, sudo: false, nsenter: true, localEngine: true, ...over })
  it('enters the namespace when privileged and the engine is local, else uses a probe container', () => {
    expect(chooseProbeWay('auto', p({ root: true }))).toEqual({ way: 'nsenter', sudo: false, why: 'the runner is root' })
    expect(chooseProbeWay('auto', p({ sudo: true }))).toEqual({ way: 'nsenter', sudo: true, why: 'sudo -n works' })
    expect(chooseProbeWay('auto', p({}))).toMatchObject({ way: 'container', why: expect.stringContaining('sudo asks for a password') })
    expect(chooseProbeWay('auto', p({ root: true, localEngine: false }))).toMatchObject({ way: 'container', why: 'the engine is not on this machine' })
    expect(chooseProbeWay('auto', p({ root: true, nsenter: false }))).toMatchObject({ way: 'container', why: 'nsenter (util-linux) is not installed' })
    expect(chooseProbeWay('container', p({ root: true }))).toMatchObject({ way: 'container' })
    expect(probeViaFromEnv({ SMOKESTACK_PROBE_VIA: 'container' })).toBe('container')
    expect(probeViaFromEnv({ SMOKESTACK_PROBE_VIA: 'bogus' })).toBe('auto')
  })
  it('reads the probe scripts’ answers, a missing line a failure, control characters dropped', () => {
    expect(parseProbeOutput('ok HTTP 200\nfail connection\x1b[1m refused\n', 3)).toEqual([
      { ok: true, detail: 'HTTP 200' },
      { ok: false, detail: 'connection refused' },
      { ok: false, detail: 'the probe gave no answer' }
    ])
  })
})

describe('the Node probe script, for real against local servers', () => {
  let server: http.Server
  let listener: net.Server
  const PORT = 5210
  const TCP_ONLY = 5211
  const CLOSED = 5212
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : req.url === '/fail' ? 503 : 404
      res.end('x')
    })
    listener = net.createServer((s) => s.end('not http\r\n\r\n'))
    await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => listener.listen(TCP_ONLY, '127.0.0.1', resolve))
  })
  afterAll(() => {
    server.close()
    listener.close()
  })
  it('passes 2xx and 3xx, fails other statuses, a closed port and a non-HTTP answer; connects over TCP', async () => {
    const args = [
      '1000',
      'http',
      String(PORT),
      '/healthz',
      'http',
      String(PORT),
      '/moved',
      'http',
      String(PORT),
      '/fail',
      'tcp',
      String(PORT),
      '-',
      'tcp',
      String(CLOSED),
      '-',
      'http',
      String(TCP_ONLY),
      '/'
    ]
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', PROBE_NODE_SCRIPT, ...args], (err, out) => (err ? reject(err) : resolve(out)))
    )
    expect(parseProbeOutput(stdout, 6)).toEqual([
      { ok: true, detail: 'HTTP 200' },
      { ok: true, detail: 'HTTP 302' },
      { ok: false, detail: 'HTTP 503' },
      { ok: true, detail: 'connected' },
      { ok: false, detail: 'connection refused' },
      { ok: false, detail: 'not an HTTP answer' }
    ])
  })
})
