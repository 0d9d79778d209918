/**
 * The command line's main() without a terminal or an engine: its streams captured, the exec layer answered by
 * the scripted engine. Exit codes, the table and --json on stdout, progress and the log's tail on stderr, secrets
 * redacted, bad values named before any command, and the run's tag and directory removed at the end.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Writable } from 'node:stream'
import * as fakeExec from '../../../__fixtures__/engine.js'
import * as fakeApi from '../../../__fixtures__/engine-api.js'
import { ADVISED_DOCKERFILE, useWorkspace } from '../../../__fixtures__/workspace.js'

jest.unstable_mockModule('../../../src/docker/exec.js', () => fakeExec)
jest.unstable_mockModule('../../../src/docker/api.js', () => fakeApi)
const { main } = await import('../../../src/cli/main.js')
const { engine } = fakeExec

jest.setTimeout(10_000)
const ws = useWorkspace()

/** A stream that keeps what is written to it, as a pipe (not a terminal). */
class Captured extends Writable {
  text = ''
  isTTY = false
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8')
    done()
  }
}

async function cli(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new Captured()
  const stderr = new Captured()
  const status = await main(argv, { stdout, stderr, cwd: ws.dir, env: { PATH: '/usr/bin' }, tempRoot: ws.temp })
  return { status, stdout: stdout.text, stderr: stderr.text }
}

const PLATFORMS = ['--platform', 'linux/amd64,linux/arm64', '--setup-qemu', 'false']
/** The build's argument after `flag`. */
const buildArg = (flag: string): string => {
  const build = engine.commands((a) => a[1] === 'build')[0]
  return build[build.indexOf(flag) + 1]
}

beforeEach(() => engine.reset({ store: 'containerd' }))
afterEach(() => {
  expect(engine.unscripted.map((c) => c.args.join(' '))).toEqual([])
})

describe('smokestack (the command line)', () => {
  it('exits 0 when every platform passed: the table on stdout, progress on stderr, then removes the tag and the directory', async () => {
    const run = await cli('.', ...PLATFORMS)
    expect(run.status).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines[0].split(/\s{2,}/)).toEqual(['Platform', 'Result', 'Disk size', 'Compressed', 'Layers', 'Start', 'Build', 'Check'])
    expect(lines[1].split(/\s{2,}/).slice(0, 2)).toEqual(['linux/amd64', '✔ passed'])
    expect(lines[2].split(/\s{2,}/).slice(0, 2)).toEqual(['linux/arm64', '✔ passed'])
    expect(run.stdout).toContain('✔ 2/2 platforms passed')
    expect(run.stdout).not.toContain('\x1b[')
    expect(run.stderr).toMatch(/^linux\/amd64 {2}building…$/m)
    expect(run.stderr).toMatch(/^linux\/arm64 {2}✔ passed \(build [\d.]+ s, check [\d.]+ s\)$/m)
    const removal = engine.calls.find((c) => c.args[0] === 'image' && c.args[1] === 'rm')!
    expect(removal).toMatchObject({ cleanup: true, args: ['image', 'rm', '--no-prune', buildArg('--tag')] })
    expect(engine.docker.images.size).toBe(0)
    expect(path.dirname(buildArg('--metadata-file'))).toMatch(new RegExp(`^${ws.temp}/smokestack-`))
    expect(ws.leftInTemp()).toEqual([])
  })

  it('prints the whole run as JSON with --json, the sizes being what the images hold', async () => {
    const run = await cli('.', ...PLATFORMS, '--json')
    expect(run.status).toBe(0)
    const doc = JSON.parse(run.stdout) as {
      passed: boolean
      results: Record<string, { status: string; size: number; compressedSize: number; localRef: string }>
    }
    expect(doc.passed).toBe(true)
    for (const p of ['linux/amd64', 'linux/arm64']) {
      const image = engine.docker.built(buildArg('--tag'), p)
      expect(doc.results[p]).toMatchObject({
        status: 'passed',
        size: image.uncompressedBytes,
        compressedSize: image.compressedBytes,
        localRef: buildArg('--tag')
      })
    }
    expect(buildArg('--tag')).toMatch(/^smokestack-local\/[0-9a-f]{8}:all$/)
  })

  it('exits 1 when a platform failed, with the last lines of the log on stderr', async () => {
    engine.reset({ store: 'containerd', platforms: { 'linux/arm64': { start: { exitCode: 4, output: 'boot\nfatal: no config\n' } } } })
    const run = await cli('.', ...PLATFORMS)
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/^linux\/arm64 {2}✘ failed/m)
    expect(run.stdout).toContain('1 of 2 platforms failed: linux/arm64')
    expect(run.stderr).toContain('Last lines of the log (--verbose shows all):')
    expect(run.stderr).toContain('  fatal: no config')
  })

  it('exits 2 on a bad value, naming it, before any docker command', async () => {
    const run = await cli('.', '--platform', 'linux/sparc')
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/^smokestack: Input "platforms": "linux\/sparc" is not valid; /)
    expect(run.stderr).toContain('Run smokestack --help for the options.')
    expect(engine.calls).toEqual([])
  })

  it('exits 1 when the run stops, with the reason, and still removes its directory', async () => {
    ws.dockerfile(ADVISED_DOCKERFILE)
    let during: string[] = []
    engine.holdCommands((c) => {
      if (c.args[1] === 'inspect') during = ws.leftInTemp()
    })
    const run = await cli('.', ...PLATFORMS, '--fail-on-advice', '--json')
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^smokestack: fail-on-advice is true and the Dockerfile advice found 1 pitfall\(s\): apk-cache$/m)
    expect(JSON.parse(run.stdout)).toEqual({ passed: false, error: expect.stringMatching(/^fail-on-advice is true/) })
    expect(engine.commands((a) => a[1] === 'build')).toEqual([])
    expect(during).toEqual([expect.stringMatching(/^smokestack-/)])
    expect(ws.leftInTemp()).toEqual([])
  })

  it('redacts secret values from everything it prints, the verbose log included', async () => {
    const run = await cli('.', ...PLATFORMS, '--verbose', '--build-arg', 'API_TOKEN=tok-97531', '--secrets', 'npmrc=sec-24680')
    expect(run.status).toBe(0)
    expect(run.stderr).toContain('--build-arg API_TOKEN=***')
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/tok-97531|sec-24680/)
  })

  it('runs smokestack lint without an engine', async () => {
    ws.dockerfile(ADVISED_DOCKERFILE)
    const run = await cli('lint', 'Dockerfile')
    expect(run.status).toBe(1)
    expect(run.stdout).toContain('Dockerfile:2: warning apk-cache')
    expect(engine.calls).toEqual([])
  })

  it('prints its version from package.json, and its usage', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(await cli('--version')).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' })
    const help = await cli('--help')
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/smokestack lint/)
  })
})
