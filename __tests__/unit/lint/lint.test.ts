/** `smokestack lint`: flags, exit codes, formats, ignore comments and codes, on real files in a temporary directory. */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Writable } from 'node:stream'
import { spawnSync } from 'node:child_process'
import { lintMain } from '../../../src/cli/lint.js'
import { ADVICE_CODES, InputError, parseAdviceCodes } from '../../../src/context.js'
import { printable } from '../../../src/lint/render.js'

let dir: string
const GO_ALPINE = 'FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine:3.19\nRUN apk add curl\nCOPY --chown=1:1 --from=build /app /app\n'
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-'))
  fs.writeFileSync(path.join(dir, 'Dockerfile'), GO_ALPINE)
  fs.writeFileSync(path.join(dir, 'clean.Dockerfile'), 'FROM alpine:3.19\nRUN apk add --no-cache curl\n')
  fs.writeFileSync(path.join(dir, 'broken.Dockerfile'), 'ARG V=\nFROM golang:${V}\n')
  fs.writeFileSync(path.join(dir, 'notice.Dockerfile'), 'FROM golang:1.22\n')
  fs.mkdirSync(path.join(dir, 'sub'))
  fs.writeFileSync(path.join(dir, 'sub', 'Dockerfile'), 'FROM alpine:3.19\n')
  fs.writeFileSync(path.join(dir, 'hostile.Dockerfile'), 'FROM alpine:3.19 AS a\x1b[31m\n')
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

class Sink extends Writable {
  text = ''
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

async function lint(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink()
  const stderr = new Sink()
  const code = await lintMain(argv, { stdout, stderr, cwd: dir, env: {} })
  return { code, out: stdout.text, err: stderr.text }
}

describe('smokestack lint', () => {
  it('reads ./Dockerfile by default and exits 1 on a warning', async () => {
    const { code, out } = await lint()
    expect(code).toBe(1)
    expect(out).toContain('Dockerfile:2: warning cgo-on-musl')
    expect(out).toContain('Dockerfile:4: warning apk-cache')
    expect(out).toMatch(/2 findings in 1 Dockerfile\.\n$/)
  })

  it('exits 0 on a clean file, and takes a directory for its Dockerfile', async () => {
    expect((await lint('clean.Dockerfile')).code).toBe(0)
    const sub = await lint('sub')
    expect(sub.code).toBe(0)
    expect(sub.out).toContain('No findings in 1 Dockerfile.')
  })

  it('--platform adds the emulation advice; --ignore and --fail-level change the exit code', async () => {
    const both = await lint('--platform', 'linux/amd64,linux/arm64', '--format', 'json')
    expect(JSON.parse(both.out).files[0].findings.map((f: { code: string }) => f.code)).toEqual(['cgo-on-musl', 'emulated-compile', 'apk-cache'])
    expect((await lint('--ignore', 'cgo-on-musl', '--ignore', 'apk-cache')).code).toBe(0)
    expect((await lint('--fail-level', 'error')).code).toBe(0)
    expect((await lint('notice.Dockerfile')).code).toBe(1)
    expect((await lint('notice.Dockerfile', '--fail-level', 'none')).code).toBe(0)
  })

  it('reports a Dockerfile BuildKit would refuse as an error finding at its line', async () => {
    const { code, out } = await lint('broken.Dockerfile', '--format', 'json')
    expect(code).toBe(1)
    const [finding] = JSON.parse(out).files[0].findings
    expect([finding.code, finding.severity, finding.line]).toEqual(['dockerfile-invalid', 'error', 2])
    expect(finding.message).toMatch(/^base image "golang:\$\{V\}" expands to "golang:"/)
  })

  it('takes --build-arg and --target', async () => {
    expect((await lint('broken.Dockerfile', '--build-arg', 'V=1.22', '--fail-level', 'error')).code).toBe(0)
    const target = await lint('--target', 'build', '--format', 'json')
    expect(JSON.parse(target.out).files[0].chain).toEqual(['build'])
  })

  it.each([
    [['--format', 'xml'], '--format: "xml" is not valid; use one of: text, json, sarif'],
    [['--fail-level', 'fatal'], '--fail-level: "fatal" is not valid; use one of: error, warning, notice, none'],
    [['--platform', 'linux/sparc'], '--platform: "linux/sparc" is not valid'],
    [['--build-platform', 'windows'], '--build-platform: "windows" is not valid'],
    [['--build-arg', '=x'], '--build-arg: "=…" is not valid'],
    [['--ignore', 'apk-cahce'], '--ignore: "apk-cahce" is not valid; use codes of the Dockerfile advice: cgo-on-musl,'],
    [['--target', 'biuld'], '--target: no stage named "biuld" in Dockerfile (stages: build). Did you mean "build"?'],
    [['--target', '../x'], '--target: "../x" is not valid'],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
    [['missing.Dockerfile'], 'missing.Dockerfile: cannot read it (no such file)']
  ])('exits 2 on %j, saying why', async (argv, message) => {
    const { code, out, err } = await lint(...argv)
    expect([code, out]).toEqual([2, ''])
    expect(err).toContain(message)
  })

  it("prints a Dockerfile's control characters escaped", async () => {
    const { out } = await lint('hostile.Dockerfile')
    expect(out).not.toContain('\x1b')
    expect(printable('a\x1b[31mb\u202ec')).toBe('a\\u{1b}[31mb\\u{202e}c')
  })

  it('refuses a file too large to be a Dockerfile', async () => {
    fs.writeFileSync(path.join(dir, 'huge.Dockerfile'), 'FROM alpine\n' + '#'.repeat(2 * 1024 * 1024))
    const { code, err } = await lint('huge.Dockerfile')
    expect(code).toBe(2)
    expect(err).toContain('more than a Dockerfile can be')
  })
})

describe('ignore comments', () => {
  const file = (content: string): string => {
    const name = `ignore-${Math.random().toString(36).slice(2)}.Dockerfile`
    fs.writeFileSync(path.join(dir, name), content)
    return name
  }
  it.each([
    ['on the line above', '# smokestack-ignore: apk-cache\nRUN apk add curl\n', []],
    ['in the comment block above', '# smokestack-ignore: apt-cache, apk-cache\n# curl for the health check\nRUN apk add curl\n', []],
    ['on a continuation line of the RUN', 'RUN apk add \\\n  # smokestack-ignore: apk-cache\n  curl\n', []],
    ['at the end of the shell line', 'RUN apk add curl # smokestack-ignore: apk-cache\n', []],
    ['naming another code', '# smokestack-ignore: apt-cache\nRUN apk add curl\n', ['apk-cache']],
    ['separated by an instruction', '# smokestack-ignore: apk-cache\nENV A=1\nRUN apk add curl\n', ['apk-cache']],
    ['above another finding only', '# smokestack-ignore: apk-cache\nRUN apk add curl\nRUN apk add git\n', ['apk-cache']],
    ['with a misspelt code, which silences nothing and is told', '# smokestack-ignore: apk-cahce\nRUN apk add curl\n', ['apk-cache', 'ignore-unknown-code']],
    ['followed by a reason', '# smokestack-ignore: apk-cache, apt-cache because the image is rebuilt daily\nRUN apk add curl\n', []]
  ])('%s', async (_name, body, expected) => {
    const { out } = await lint(file(`FROM alpine:3.19\n${body}`), '--format', 'json')
    expect(JSON.parse(out).files[0].findings.map((f: { code: string }) => f.code)).toEqual(expected)
  })
})

describe('the ignore-advice input', () => {
  it('takes Dockerfile advice codes, comma or newline separated, and refuses others naming the known ones', () => {
    expect(parseAdviceCodes('ignore-advice', 'apt-cache, APK-CACHE\ntoolchain-final-stage,apt-cache')).toEqual([
      'apt-cache',
      'apk-cache',
      'toolchain-final-stage'
    ])
    expect(parseAdviceCodes('ignore-advice', '')).toEqual([])
    let error: unknown
    try {
      parseAdviceCodes('ignore-advice', 'apt-cache,missing-loader')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /^Input "ignore-advice": "missing-loader" is not valid; use codes of the Dockerfile advice: cgo-on-musl, emulated-compile, .*apt-cache/
    )
  })
})

describe('the bundled command line', () => {
  it('dispatches `smokestack lint` before anything of the build pipeline, with its own exit codes', () => {
    const cli = path.resolve(import.meta.dirname, '../../../dist/cli/index.js')
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [cli, 'lint', ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
    const help = run('--help')
    expect([help.status, help.stdout.startsWith('Usage: smokestack lint')]).toEqual([0, true])
    const found = run('--format', 'json')
    expect(found.status).toBe(1)
    expect(JSON.parse(found.stdout).files[0].findings.map((f: { code: string }) => f.code)).toEqual(['cgo-on-musl', 'apk-cache'])
    expect(run('clean.Dockerfile').status).toBe(0)
    expect(run('--format=yaml').status).toBe(2)
  })

  it('reads the Dockerfile whose word patterns once kept it busy for ever, and answers', () => {
    fs.writeFileSync(path.join(dir, 'patterns.Dockerfile'), `ARG V=${'a'.repeat(3000)}\nARG W=\${V%%*a*a*a*a*a*a*c}3.12.2\nFROM alpine:\${W#$V}\n`)
    const cli = path.resolve(import.meta.dirname, '../../../dist/cli/index.js')
    const result = spawnSync(process.execPath, [cli, 'lint', '--format', 'json', 'patterns.Dockerfile'], { cwd: dir, encoding: 'utf8' })
    expect([result.status, JSON.parse(result.stdout).files[0].stages.map((s: { base: string }) => s.base)]).toEqual([0, ['alpine:3.12.2']])
  })
})

describe('the README', () => {
  it('lists every advice code in its Lint section', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8')
    const lint = readme.slice(readme.indexOf('## Lint'), readme.indexOf('## Workflows'))
    expect(ADVICE_CODES.filter((code) => !lint.includes(`\`${code}\``))).toEqual([])
  })
})

describe('what lint loads', () => {
  it('imports nothing that needs an engine or @actions/*', () => {
    const root = path.resolve(import.meta.dirname, '../../../src')
    const seen = new Set<string>()
    const pending = [path.join(root, 'cli/lint.ts')]
    const external = new Set<string>()
    while (pending.length > 0) {
      const file = pending.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/^(?:import|export) (?!type )(?:[^'";]*? from )?['"]([^'"]+)['"]/gm)) {
        if (spec.startsWith('.')) pending.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')))
        else external.add(spec)
      }
    }
    expect([...external].sort()).toEqual(['csv-parse/sync', 'dockerfile-ast', 'node:fs', 'node:os', 'node:path', 'node:util'])
    expect([...seen].map((f) => path.relative(root, f)).filter((f) => /^(docker\/(exec|engine|buildx)|main|build|verify)/.test(f))).toEqual([])
  })
})
