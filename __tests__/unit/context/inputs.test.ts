import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError, normalizePlatform, parseDuration, parseInputs, splitArgs, parseRunArgs, isImageReference } from '../../../src/context.js'

let workspace: string
beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  fs.mkdirSync(path.join(workspace, 'app'))
  fs.writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n')
  fs.writeFileSync(path.join(workspace, 'secret.txt'), 'x')
})
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

function parse(values: Record<string, string>) {
  const all: Record<string, string> = { context: 'app', ...values }
  return parseInputs((name) => all[name] ?? '', workspace)
}

describe('parseInputs accepts good input', () => {
  it('applies the defaults', () => {
    const i = parse({})
    expect(i.context).toBe(path.join(workspace, 'app'))
    expect(i.file).toBe(path.join(workspace, 'app', 'Dockerfile'))
    expect(i.platforms).toEqual([])
    expect(i.push).toBe(false)
    expect(i.smoke).toBe(true)
    expect(i.smokeTimeoutMs).toBe(10_000)
    expect(i.smokeNetwork).toBe('none')
    expect(i.setupQemu).toBe('auto')
    expect(i.qemuImage).toBe('tonistiigi/binfmt:latest')
    expect(i.sizeMetric).toBe('disk')
    expect(i.smokeArgs).toBeUndefined()
  })
  it('reads lists, key-values and typed values', () => {
    const i = parse({
      platforms: 'linux/amd64,\nlinux/arm64/v8\nlinux/arm',
      tags: 'ghcr.io/o/app:1.0\nregistry:5000/a/b:2',
      'build-args': 'A=1\nB=x=y',
      labels: 'org.opencontainers.image.title=app',
      push: 'true',
      'smoke-args': `--flag "two words" 'x y'`,
      'smoke-timeout': '1m30s',
      'smoke-exit-codes': '2, 3',
      'smoke-run-args': '--env=A=1\n--user 1000',
      'max-size': '20MB',
      'compare-to': 'ghcr.io/o/app:latest',
      'max-growth': '5%'
    })
    expect(i.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7'])
    expect(i.tags).toHaveLength(2)
    expect(i.buildArgs).toEqual({ A: '1', B: 'x=y' })
    expect(i.smokeArgs).toEqual(['--flag', 'two words', 'x y'])
    expect(i.smokeTimeoutMs).toBe(90_000)
    expect(i.smokeExitCodes).toEqual([2, 3])
    expect(i.smokeRunArgs).toEqual(['--env=A=1', '--user=1000'])
    expect(i.maxSize).toBe(20_000_000)
    expect(i.maxGrowth).toEqual({ percent: 5 })
  })
})

// Each bad input must be refused with a message naming the input, quoting the bad value and saying what is accepted.
const bad: [string, Record<string, string>, RegExp][] = [
  ['context', { context: 'nope' }, /no directory/],
  ['context', { context: '../outside' }, /inside the workspace/],
  ['context', { context: 'app/Dockerfile' }, /is not a directory/],
  ['file', { file: 'app/missing.Dockerfile' }, /no file/],
  ['file', { file: 'app' }, /is not a file/],
  ['target', { target: 'bad target' }, /build stage/],
  ['platforms', { platforms: 'linux' }, /os\/arch/],
  ['platforms', { platforms: 'linux/sparc' }, /os\/arch/],
  ['platforms', { platforms: 'windows/amd64' }, /os\/arch/],
  ['platforms', { platforms: 'linux/arm/v9' }, /variant/],
  ['platforms', { platforms: 'linux/amd64,linux/amd64' }, /listed twice/],
  ['platforms', { platforms: 'linux/amd64/v2/x' }, /os\/arch/],
  ['tags', { tags: 'UPPER/case:1' }, /image reference/],
  ['tags', { tags: 'app:bad tag' }, /image reference/],
  ['tags', { tags: 'app:' }, /image reference/],
  ['tags', { tags: 'ghcr.io/o/app@sha256:' + 'a'.repeat(64) }, /cannot hold a digest/],
  ['tags', { tags: 'ghcr.io/o/app:1,ghcr.io/o/app:2@sha256:' + 'b'.repeat(64) }, /cannot hold a digest/],
  ['tags', { push: 'true' }, /give at least one image reference/],
  ['build-args', { 'build-args': 'NOVALUE' }, /KEY=VALUE/],
  ['build-args', { 'build-args': '=x' }, /KEY=VALUE/],
  ['labels', { labels: 'bad key=1' }, /KEY=VALUE/],
  ['push', { push: 'maybe' }, /true, false or by-digest/],
  ['tags', { push: 'by-digest', tags: 'r.io/a/app:1,r.io/b/app:1' }, /one repository.*r\.io\/a\/app, r\.io\/b\/app/],
  ['tags', { push: 'by-digest', tags: 'r.io/a/app@sha256:' + 'a'.repeat(64) }, /cannot hold a digest/],
  ['tags', { push: 'by-digest' }, /push is by-digest/],
  ['record-dir', { 'record-dir': 'records' }, /push: by-digest/],
  ['record-dir', { push: 'by-digest', tags: 'r.io/a/app', 'record-dir': '../outside' }, /stay inside the workspace/],
  ['record-dir', { push: 'by-digest', tags: 'r.io/a/app', 'record-dir': 'secret.txt' }, /not a directory/],
  ['no-cache', { 'no-cache': 'yess' }, /true or false/],
  ['smoke', { smoke: '2' }, /true or false/],
  ['setup-qemu', { 'setup-qemu': 'always' }, /auto, true, false/],
  ['qemu-image', { 'qemu-image': 'Not A Ref' }, /image reference/],
  ['smoke-args', { 'smoke-args': '"unclosed' }, /close every quote/],
  ['smoke-timeout', { 'smoke-timeout': '10 seconds' }, /duration/],
  ['smoke-timeout', { 'smoke-timeout': '0s' }, /duration/],
  ['smoke-timeout', { 'smoke-timeout': '-5s' }, /duration/],
  ['smoke-timeout', { 'smoke-timeout': '48h' }, /duration/],
  ['smoke-exit-codes', { 'smoke-exit-codes': '256' }, /0 to 255/],
  ['smoke-exit-codes', { 'smoke-exit-codes': 'one' }, /0 to 255/],
  ['smoke-network', { 'smoke-network': 'container:other' }, /none, bridge, host/],
  ['smoke-network', { 'smoke-network': 'a b' }, /none, bridge, host/],
  ['smoke-run-args', { 'smoke-run-args': '--privileged' }, /--privileged is not an option the start check accepts/],
  ['smoke-run-args', { 'smoke-run-args': '-v /:/host' }, /-v is not an option/],
  ['smoke-run-args', { 'smoke-run-args': '-tv /:/host' }, /-v \(in -tv\) is not an option/],
  ['smoke-run-args', { 'smoke-run-args': '--cap-add=SYS_ADMIN' }, /--cap-add is not an option/],
  ['smoke-run-args', { 'smoke-run-args': 'rm -rf /' }, /docker run options/],
  ['max-size', { 'max-size': '20XB' }, /size/],
  ['max-size', { 'max-size': 'big' }, /size/],
  ['size-metric', { 'size-metric': 'gzip' }, /disk, compressed/],
  ['compare-to', { 'compare-to': 'http://x/y' }, /image reference/],
  ['max-growth', { 'max-growth': '5%' }, /compare-to/],
  ['max-growth', { 'compare-to': 'a:1', 'max-growth': 'lots' }, /max-growth/],
  ['fail-on-advice', { 'fail-on-advice': 'strict' }, /true or false/],
  ['cache', { cache: 'sometimes' }, /auto, true, false/],
  ['cache-timeout', { 'cache-timeout': 'forever' }, /duration/],
  ['secret-files', { 'secret-files': 'id=missing.txt' }, /no file/],
  ['secrets', { secrets: 'no equals sign here' }, /id=value/]
]

describe('parseInputs refuses bad input before anything runs', () => {
  it.each(bad)('%s: %j', (input, values, accepted) => {
    let error: unknown
    try {
      parse(values)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    const e = error as InputError
    expect(e.input).toBe(input)
    expect(e.message).toContain(`Input "${input}"`)
    expect(e.message).toMatch(accepted)
  })

  it('has at least 30 cases', () => expect(bad.length).toBeGreaterThanOrEqual(30))

  it('never echoes a secret value', () => {
    expect(() => parse({ secrets: 'bad id with spaces=hunter2' })).toThrow(/entry is not shown/)
    try {
      parse({ secrets: 'bad id with spaces=hunter2' })
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2')
    }
  })
})

describe('push: by-digest', () => {
  it('takes one repository (tags of it alike) and a record directory inside the workspace, not yet there', () => {
    const i = parse({ push: 'By-Digest', tags: 'r.io/a/app:ignored\nR.IO/a/app', 'record-dir': 'out/records' })
    expect(i.push).toBe('by-digest')
    expect(i.recordDir).toBe(path.join(workspace, 'out', 'records'))
    expect(fs.existsSync(i.recordDir!)).toBe(false)
  })
  it('keeps true and false as booleans', () => {
    expect(parse({ push: 'yes', tags: 'a:1' }).push).toBe(true)
    expect(parse({ push: 'off' }).push).toBe(false)
    expect(parse({ push: 'true', tags: 'a:1,b:2' }).recordDir).toBeUndefined()
  })
})

describe('value parsers', () => {
  it('normalizes platforms like the engine', () => {
    expect(normalizePlatform('p', 'linux/x86_64')).toBe('linux/amd64')
    expect(normalizePlatform('p', 'Linux/AArch64')).toBe('linux/arm64')
    expect(normalizePlatform('p', 'linux/arm/v6')).toBe('linux/arm/v6')
    expect(normalizePlatform('p', 'linux/amd64/v3')).toBe('linux/amd64/v3')
  })
  it('parses durations', () => {
    expect(parseDuration('t', '500ms')).toBe(500)
    expect(parseDuration('t', '2m')).toBe(120_000)
    expect(parseDuration('t', '1.5')).toBe(1500)
    expect(parseDuration('t', '1h')).toBe(3_600_000)
  })
  it('splits arguments without a shell', () => {
    expect(splitArgs('a', `serve --port 80 "" '$HOME'`)).toEqual(['serve', '--port', '80', '', '$HOME'])
    expect(parseRunArgs('r', '--tmpfs /tmp')).toEqual(['--tmpfs=/tmp'])
  })
  it('knows image references', () => {
    for (const ok of ['alpine', 'alpine:3.12.2', 'localhost:5000/a/b:c', 'ghcr.io/o/r', '[::1]:5000/x:y']) expect(isImageReference(ok)).toBe(true)
    for (const no of ['', 'Alpine', 'a:', ':tag', 'a//b', 'a:b:c', '-a']) expect(isImageReference(no)).toBe(false)
  })
})

describe('paths reached through symbolic links', () => {
  it('refuses a relative path whose link leads out of the workspace, and takes one that stays inside', () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'links-'))
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    try {
      fs.writeFileSync(path.join(outside, 'Dockerfile'), 'FROM scratch\n')
      fs.mkdirSync(path.join(ws, 'app'))
      fs.writeFileSync(path.join(ws, 'app', 'Dockerfile.real'), 'FROM scratch\n')
      fs.symlinkSync(path.join(outside, 'Dockerfile'), path.join(ws, 'app', 'Dockerfile'))
      fs.symlinkSync('Dockerfile.real', path.join(ws, 'app', 'Dockerfile.inside'))
      fs.symlinkSync(outside, path.join(ws, 'elsewhere'))
      const get = (values: Record<string, string>) => (name: string) => values[name] ?? ''
      expect(() => parseInputs(get({ context: 'app' }), ws)).toThrow(/Input "file": .* is a symbolic link to .*outside-.*\/Dockerfile, outside the workspace/)
      expect(() => parseInputs(get({ context: 'elsewhere' }), ws)).toThrow(/Input "context": .* is a symbolic link to .*outside-[^,]*, outside the workspace/)
      expect(parseInputs(get({ context: 'app', file: 'app/Dockerfile.inside' }), ws).file).toBe(path.join(ws, 'app', 'Dockerfile.inside'))
      // An absolute path is the explicit choice of a file outside.
      expect(parseInputs(get({ context: 'app', file: path.join(ws, 'app', 'Dockerfile') }), ws).file).toBe(path.join(ws, 'app', 'Dockerfile'))
    } finally {
      fs.rmSync(ws, { recursive: true, force: true })
      fs.rmSync(outside, { recursive: true, force: true })
    }
  })
})

describe('a malformed build argument', () => {
  it('is refused without quoting its value, which may be a credential', () => {
    const get = (values: Record<string, string>) => (name: string) => values[name] ?? ''
    const token = 'ghp_' + 'x'.repeat(36)
    for (const line of [`MY TOKEN=${token}`, token, `=${token}`]) {
      let message = ''
      try {
        parseInputs(get({ context: 'examples/hello-go', 'build-args': line }), path.resolve(import.meta.dirname, '../../..'))
      } catch (e) {
        message = (e as Error).message
      }
      expect(message).toMatch(/^Input "build-args": .* is not valid; use KEY=VALUE, one per line .*; the value is not shown$/)
      expect(message).not.toContain(token)
    }
  })
})
