/**
 * The image doctor inside the bundled action, on images that fail in each of the ways it names.
 * Binaries are compiled at test time with the machine's own toolchains (gcc, musl-gcc, Go).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { runAction, ROOT, type ActionRun } from '../support/action.js'
import { leftovers } from '../support/docker.js'

interface Result {
  status: string
  smoke: { outcome: string; message: string }
  findings: { code: string; severity: string; message: string; fix?: string }[]
}

function results(run: ActionRun): Record<string, Result> {
  return JSON.parse(run.outputs.results)
}

let work: string
let before: ReturnType<typeof leftovers>

/** Writes a build context under the workspace: a Dockerfile and files. */
function context(name: string, files: Record<string, string | Buffer>, modes: Record<string, number> = {}): string {
  const dir = path.join(work, name)
  fs.mkdirSync(dir, { recursive: true })
  for (const [file, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, file), content)
    fs.chmodSync(path.join(dir, file), modes[file] ?? 0o755)
  }
  return path.relative(ROOT, dir)
}

function cc(compiler: string, args: string[], cwd: string): void {
  execFileSync(compiler, args, { cwd, stdio: 'pipe' })
}

beforeAll(() => {
  before = leftovers()
  work = fs.mkdtempSync(path.join(ROOT, '.tmp-doctor-'))
})
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
  expect(leftovers()).toEqual(before)
})

describe('the image doctor in the pipeline', () => {
  it('fails a wrong-architecture binary in linux/arm64 although it starts under emulation', async () => {
    const run = await runAction({
      inputs: { context: 'examples/cross-compile', file: '__tests__/fixtures/projects/wrong-arch.Dockerfile', platforms: 'linux/amd64,linux/arm64' }
    })
    expect(run.exitCode).toBe(1)
    const r = results(run)
    expect(r['linux/amd64'].status).toBe('passed')
    expect(r['linux/arm64'].smoke.outcome).toBe('exited') // it ran: the kernel picked the host's CPU, not the image's platform
    expect(r['linux/arm64'].status).toBe('failed')
    const mismatch = r['linux/arm64'].findings.find((f) => f.code === 'arch-mismatch')
    expect(mismatch?.severity).toBe('error')
    expect(mismatch?.message).toMatch(/x86-64/)
    expect(mismatch?.fix).toMatch(/GOARCH=\$TARGETARCH/)
    expect(mismatch?.fix).toMatch(/--platform=\$BUILDPLATFORM/)
    // The Dockerfile advice saw it coming.
    expect(run.annotations.some((a) => a.level === 'warning' && a.props.title === 'smokestack: buildplatform-without-targetarch')).toBe(true)
  })

  it('names the missing glibc loader of a cgo binary in a FROM scratch image', async () => {
    const dir = context('scratch-cgo', {
      'main.c': '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
      Dockerfile: 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n'
    })
    cc('gcc', ['-O2', '-o', 'app', 'main.c'], path.join(ROOT, dir))
    const run = await runAction({ inputs: { context: dir } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.smoke.outcome).toBe('start-failed')
    expect(r.smoke.message).toMatch(/^exec \/app: no such file or directory$/)
    const loader = r.findings.find((f) => f.code === 'missing-loader')
    expect(loader?.message).toContain('/lib64/ld-linux-x86-64.so.2')
    expect(loader?.message).toMatch(/glibc/)
  })

  it('passes a dynamically linked musl binary on alpine', async () => {
    const dir = context('musl-dynamic', {
      'main.c': '#include <stdio.h>\nint main(void) { puts("hello from musl"); return 0; }\n',
      Dockerfile: 'FROM alpine:3.12.2\nCOPY app /usr/local/bin/app\nENTRYPOINT ["app"]\n'
    })
    cc('musl-gcc', ['-O2', '-o', 'app', 'main.c'], path.join(ROOT, dir))
    expect(execFileSync('file', [path.join(ROOT, dir, 'app')], { encoding: 'utf8' })).toMatch(/dynamically linked/)
    const run = await runAction({ inputs: { context: dir } })
    expect(run.exitCode).toBe(0)
    const r = results(run)['linux/amd64']
    expect(r.status).toBe('passed')
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([])
  })

  it('names bash as the missing interpreter of a script on alpine', async () => {
    const dir = context('bash-script', {
      'run.sh': '#!/bin/bash\necho "hello from bash"\n',
      Dockerfile: 'FROM alpine:3.12.2\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    })
    const run = await runAction({ inputs: { context: dir } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.smoke.outcome).toBe('start-failed')
    const f = r.findings.find((x) => x.code === 'interpreter-missing')
    expect(f?.message).toContain('/bin/bash')
    expect(f?.fix).toMatch(/apk add --no-cache bash|#!\/bin\/sh/)
  })

  it('says CRLF of a script saved with Windows line endings', async () => {
    const dir = context('crlf-script', {
      'run.sh': '#!/bin/sh\r\necho "hello"\r\n',
      Dockerfile: 'FROM alpine:3.12.2\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n'
    })
    const run = await runAction({ inputs: { context: dir } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.smoke.outcome).toBe('start-failed')
    const f = r.findings.find((x) => x.code === 'shebang-crlf')
    expect(f?.message).toMatch(/CRLF/)
    expect(run.annotations.some((a) => a.level === 'error' && /CRLF/.test(a.message))).toBe(true)
  })

  it('names the one shared library a binary cannot find', async () => {
    const dir = context('missing-lib', {
      'greet.c': '#include <stdio.h>\nvoid greet(void) { puts("hello from libgreet"); }\n',
      'main.c': 'void greet(void);\nint main(void) { greet(); return 0; }\n',
      Dockerfile: 'FROM alpine:3.12.2\nCOPY app /app\nENTRYPOINT ["/app"]\n'
    })
    const cwd = path.join(ROOT, dir)
    cc('musl-gcc', ['-shared', '-fPIC', '-o', 'libgreet.so', 'greet.c'], cwd)
    cc('musl-gcc', ['-o', 'app', 'main.c', '-L.', '-lgreet'], cwd)
    const run = await runAction({ inputs: { context: dir } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.status).toBe('failed')
    const f = r.findings.find((x) => x.code === 'missing-library')
    expect(f?.message).toContain('libgreet.so')
  })
})
