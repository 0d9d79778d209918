import { describe, expect, it } from '@jest/globals'
import { classifySmoke, failed, notStarted } from '../../../src/verify/smoke-outcome.js'
import { hasNoCommand, readinessAdvice, smokeContainerNames, smokeCreateArgs } from '../../../src/verify/smoke.js'
import { codeSpan, detailLine, safeText, tail } from '../../../src/verify/output.js'
import { networkFailure, networkHint } from '../../../src/verify/network-hint.js'

const raw = { exitCode: 0, stillRunning: false, output: '', durationMs: 120 }

describe('a crash is judged by its exit code, and says what it printed', () => {
  it('carries a safe, bounded output tail and a one-line detail', () => {
    const r = classifySmoke({ ...raw, exitCode: 3, output: 'starting\nboom\n' }, [])
    expect(r).toMatchObject({
      outcome: 'crashed',
      passed: false,
      message: 'exited with code 3',
      outputTail: 'starting\nboom',
      detail: 'exited with code 3; its last output: boom'
    })
  })
  it('an exit before a server is ready is a crash, even with code 0', () => {
    expect(classifySmoke({ ...raw, exitCode: 0, mustRun: 'healthy' }, [])).toMatchObject({
      outcome: 'crashed',
      passed: false,
      message: expect.stringContaining('exited with code 0 before it was healthy')
    })
    expect(classifySmoke({ ...raw, exitCode: 2, mustRun: 'probed' }, [])).toMatchObject({
      outcome: 'crashed',
      message: 'exited with code 2 before it was probed'
    })
  })
  it('an image with nothing to run is not started, cleanly', () => {
    expect(hasNoCommand({ Entrypoint: null, Cmd: null })).toBe(true)
    expect(hasNoCommand({ Entrypoint: [], Cmd: ['x'] })).toBe(false)
    expect(hasNoCommand({}, ['--version'])).toBe(false)
    expect(hasNoCommand({ Entrypoint: null, Cmd: ['sh'] }, [])).toBe(true)
    expect(notStarted('no command')).toEqual({
      outcome: 'not-started',
      passed: false,
      exitCode: null,
      durationMs: 0,
      message: 'not started: no command',
      detail: 'not started: no command'
    })
  })
  it('creates the container with the health options before the user’s, and names its probe container', () => {
    const args = smokeCreateArgs(
      { image: 'img', platform: 'linux/amd64', containerName: 'c', timeoutMs: 1000, acceptedExitCodes: [], network: 'none', runArgs: ['--user=1'] },
      ['--no-healthcheck']
    )
    expect(args.slice(-3)).toEqual(['--no-healthcheck', '--user=1', 'img'])
    expect(args[args.indexOf('--network') + 1]).toBe('none')
    expect(smokeContainerNames('c')).toEqual(['c', 'c-probe'])
  })
  it('advises a readiness check for a server that EXPOSEs a port and has none', () => {
    expect(readinessAdvice({ ExposedPorts: { '8080/tcp': {} } }, 0, 'linux/amd64')).toMatchObject({
      severity: 'notice',
      code: 'no-readiness-check',
      fix: expect.stringContaining('smoke-probe: http://:8080/')
    })
    expect(readinessAdvice({ ExposedPorts: { '8080/tcp': {} } }, 1, 'linux/amd64')).toBeUndefined()
    expect(readinessAdvice({ ExposedPorts: { '8080/tcp': {} }, Healthcheck: { Test: ['CMD', '/app', '-health'] } }, 0, 'linux/amd64')).toBeUndefined()
    expect(readinessAdvice({}, 0, 'linux/amd64')).toBeUndefined()
  })
})

describe('container output made safe', () => {
  it('removes terminal escapes and control characters, keeps tabs and newlines', () => {
    expect(safeText('\x1b[31mred\x1b[0m\tok\x07\x00\r\nnext\x1b]0;title\x07')).toBe('red\tok\nnext')
  })
  it('defuses workflow commands, so the runner does not act on a container’s line', () => {
    expect(safeText('::error file=x::pwned\n  ::add-mask::x\n##[set-output name=a;]b')).toBe(
      ': :error file=x::pwned\n  : :add-mask::x\n# #[set-output name=a;]b'
    )
  })
  it('bounds the tail in lines and characters, whatever the output', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n')
    expect(tail(many)!.split('\n')).toHaveLength(20)
    expect(tail(many)!.split('\n')[19]).toBe('line 999')
    const wide = tail('x'.repeat(1_000_000))!
    expect(wide.length).toBeLessThanOrEqual(4000)
    expect(tail('\n\n  \n')).toBeUndefined()
  })
  it('makes a detail of one line, within 300 characters', () => {
    expect(detailLine('exited with code 1', 'a\nb\n\n')).toBe('exited with code 1; its last output: b')
    expect(detailLine('exited with code 1', 'exited with code 1')).toBe('exited with code 1')
    expect(detailLine('exited with code 1', `::error::${'y'.repeat(400)}`).length).toBeLessThanOrEqual(300)
    expect(detailLine('exited with code 1', '::error::x')).toBe('exited with code 1; its last output: : :error::x')
  })
  it('quotes untrusted text as a code span: no backquote can end it, no HTML is read', () => {
    expect(codeSpan('a `b` <img src=x>\n')).toBe("`a 'b' <img src=x>`")
  })
})

describe('a network failure without a network', () => {
  const lines: Array<[string, string | undefined]> = [
    ['Error: getaddrinfo ENOTFOUND db.internal', 'name lookup'],
    ['Error: getaddrinfo EAI_AGAIN api.example.com', 'name lookup'],
    ['socket.gaierror: [Errno -3] Temporary failure in name resolution', 'name lookup'],
    ['socket.gaierror: [Errno -2] Name or service not known', 'name lookup'],
    ['curl: (6) Could not resolve host: example.com', 'name lookup'],
    ["wget: bad address 'example.com'", 'name lookup'],
    ['dial tcp: lookup db on 127.0.0.11:53: no such host', 'name lookup'],
    ['panic: dial tcp: lookup api.example.com on [::1]:53: read udp [::1]:40001->[::1]:53: read: connection refused', 'name lookup'],
    ['java.net.UnknownHostException: db', 'name lookup'],
    ['ping: bad address', undefined],
    ["nslookup: can't resolve 'x': Name does not resolve", 'name lookup'],
    ['dial tcp 10.0.0.5:5432: connect: network is unreachable', 'unreachable network'],
    ['Error: connect ENETUNREACH 1.2.3.4:443', 'unreachable network'],
    ['curl: (7) Failed to connect to 10.0.0.1 port 80: No route to host', 'unreachable network'],
    ['OSError: [Errno 101] Network unreachable', 'unreachable network'],
    ['dial tcp 10.0.0.5:5432: connect: connection refused', 'refused connection'],
    ['Error: connect ECONNREFUSED 172.17.0.3:6379', 'refused connection'],
    ['curl: (7) Failed to connect to db.internal port 5432 after 0 ms: Connection refused', 'refused connection'],
    ["wget: can't connect to remote host (10.1.2.3): Connection refused", 'refused connection'],
    ['dial tcp 127.0.0.1:5432: connect: connection refused', undefined],
    ['Error: connect ECONNREFUSED 127.0.0.1:6379', undefined],
    ['curl: (7) Failed to connect to localhost port 8080: Connection refused', undefined],
    ['dial tcp [::1]:5432: connect: connection refused', undefined],
    ['ConnectionRefusedError: [Errno 111] Connection refused', undefined],
    ['panic: runtime error: index out of range', undefined],
    ['Segmentation fault', undefined]
  ]
  for (const [line, kind] of lines) {
    it(`${JSON.stringify(line)} → ${kind ?? 'no hint'}`, () => {
      expect(networkFailure(`starting\n${line}\n`)?.kind).toBe(kind)
    })
  }
  it('hints only when the check ran without a network, as a warning naming smoke-network', () => {
    const out = 'Error: getaddrinfo ENOTFOUND db'
    expect(networkHint(out, 'bridge', 'linux/amd64')).toBeUndefined()
    const hint = networkHint(out, 'none', 'linux/amd64')!
    expect(hint).toMatchObject({ severity: 'warning', code: 'network-disabled', platform: 'linux/amd64' })
    expect(hint.message).toContain('`--network none`')
    expect(hint.fix).toContain('smoke-network: bridge')
  })
  it('a crash with such output carries the hint; the crash itself fails', () => {
    const r = classifySmoke({ ...raw, exitCode: 1, output: "wget: bad address 'example.com'\n" }, [], { network: 'none', platform: 'linux/amd64' })
    expect(r.passed).toBe(false)
    expect(r.findings?.map((f) => `${f.severity}:${f.code}`)).toEqual(['warning:network-disabled'])
  })
  it('reads only the end of a flood of output', () => {
    expect(networkFailure(`${'x'.repeat(10_000_000)}\nError: getaddrinfo ENOTFOUND db`)?.kind).toBe('name lookup')
  })
  it('drops an empty list of findings', () => {
    expect(failed({ outcome: 'crashed', exitCode: 1, durationMs: 1, message: 'm', findings: [] }, '').findings).toBeUndefined()
  })
})
