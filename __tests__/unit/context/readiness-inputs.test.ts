import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError, parseInputs, parseProbes } from '../../../src/context.js'
import { parseProbe } from '../../../src/inputs/probes.js'

let workspace: string
beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  fs.writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n')
})
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

const parse = (values: Record<string, string>) => parseInputs((name) => values[name] ?? '', workspace)

function refusal(values: Record<string, string>): InputError {
  try {
    parse(values)
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error(`accepted ${JSON.stringify(values)}`)
}

describe('smoke-health, smoke-probe and probe-image', () => {
  it('default to auto, no probes and busybox:stable', () => {
    expect(parse({})).toMatchObject({ smokeHealth: 'auto', smokeProbes: [], probeImage: 'busybox:stable' })
  })
  it('read the three modes', () => {
    for (const mode of ['auto', 'true', 'false']) expect(parse({ 'smoke-health': mode }).smokeHealth).toBe(mode)
    expect(parse({ 'smoke-health': 'TRUE' }).smokeHealth).toBe('true')
  })
  it('refuses another mode, naming the input, the value and the modes', () => {
    const e = refusal({ 'smoke-health': 'always' })
    expect(e.input).toBe('smoke-health')
    expect(e.message).toBe('Input "smoke-health": "always" is not valid; use one of: auto, true, false')
  })
  it('reads probes one per line or separated by commas, a comma inside a path kept, duplicates once', () => {
    const probes = parse({ 'smoke-probe': 'http://:8080/healthz\ntcp://:5432, http://:8080/a,b?x=1,2\n\nhttp://:8080/healthz' }).smokeProbes
    expect(probes).toEqual([
      { kind: 'http', port: 8080, path: '/healthz', text: 'http://:8080/healthz' },
      { kind: 'tcp', port: 5432, path: '', text: 'tcp://:5432' },
      { kind: 'http', port: 8080, path: '/a,b?x=1,2', text: 'http://:8080/a,b?x=1,2' }
    ])
    expect(parseProbes('smoke-probe', 'HTTP://:80')).toEqual([{ kind: 'http', port: 80, path: '/', text: 'HTTP://:80' }])
  })
  const bad: Array<[string, RegExp]> = [
    ['http://localhost:8080/healthz', /the host "localhost" is not for a probe to choose: write http:\/\/:8080\/healthz/],
    ['http://0.0.0.0:8080/', /the host "0.0.0.0"/],
    ['https://:8443/', /https is not probed/],
    ['http://:0/', /port 0 is out of range/],
    ['tcp://:70000', /port 70000 is out of range/],
    ['tcp://:5432/db', /a tcp probe has no path/],
    ['http://:8080/a b', /characters a URL path cannot/],
    ['http://:8080/x"y', /characters a URL path cannot/],
    ['http://:8080/#frag', /characters a URL path cannot/],
    ['udp://:53', /not a probe/],
    [':8080', /not a probe/],
    ['http://:port/', /not a probe/],
    ['curl http://:8080/', /not a probe/]
  ]
  for (const [value, reason] of bad) {
    it(`refuses ${JSON.stringify(value)} with the forms it accepts`, () => {
      const e = refusal({ 'smoke-probe': value })
      expect(e.input).toBe('smoke-probe')
      expect(e.message).toContain(`Input "smoke-probe": ${JSON.stringify(value)} is not valid; `)
      expect(e.message).toMatch(reason)
      expect(e.message).toContain('use http://:PORT/PATH (passes on HTTP 2xx or 3xx) or tcp://:PORT')
    })
  }
  it('refuses a probe image that is not a reference', () => {
    expect(refusal({ 'probe-image': 'Busy Box' }).input).toBe('probe-image')
  })
  it('parses a probe on its own', () => {
    expect(parseProbe(' tcp://:22 ')).toEqual({ kind: 'tcp', port: 22, path: '', text: 'tcp://:22' })
    expect(parseProbe('http://:8080/ready?full=1')).toMatchObject({ path: '/ready?full=1' })
  })
})
