import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import type { Finding } from '../../../src/types.js'
import { analyzeStart, envProgram, shellCommandProgram, startArgv } from '../../../src/verify/linkage.js'
import { explainStartFailure } from '../../../src/verify/explain.js'
import { createMemoryImageFs, imageConfig, type ImageConfig, type MemoryEntry } from '../../../src/verify/rootfs.js'
import { buildGo, C_PROGRAM_WITH_LIBM, compileC, tempDir } from './toolchains.js'

const USES_FOO = 'int foo(void);\nint main(void) { return foo(); }\n'
let dir: string
const bin: Record<string, Buffer> = {}
const host = (p: string): Buffer => fs.readFileSync(p)

beforeAll(() => {
  dir = tempDir('linkage-test-')
  const read = (p: string): Buffer => fs.readFileSync(p)
  bin.glibc = read(compileC(dir, 'glibc', 'gcc'))
  bin.glibcLibm = read(compileC(dir, 'glibc-libm', 'gcc', [], C_PROGRAM_WITH_LIBM))
  bin.static = read(compileC(dir, 'static', 'gcc', ['-static']))
  bin.musl = read(compileC(dir, 'musl', 'musl-gcc'))
  bin.muslStatic = read(compileC(dir, 'musl-static', 'musl-gcc', ['-static']))
  bin.armhf = read(compileC(dir, 'armhf', 'arm-linux-gnueabihf-gcc'))
  bin.libfoo = read(compileC(dir, 'libfoo.so', 'gcc', ['-shared', '-fPIC'], 'int foo(void) { return 42; }\n'))
  bin.usesFoo = read(compileC(dir, 'uses-foo', 'gcc', [`-L${dir}`, '-Wl,-rpath,$ORIGIN/../lib', '-Wl,--enable-new-dtags'], USES_FOO, ['-lfoo']))
  bin.goCgo = read(buildGo(dir, 'go-cgo', { CGO_ENABLED: '1' }))
  bin.goArm64 = read(buildGo(dir, 'go-arm64', { CGO_ENABLED: '0', GOARCH: 'arm64' }))
}, 300_000)

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

/** A Debian-like base: the real glibc loader and libc from this machine. */
function debianBase(): MemoryEntry[] {
  return [
    { path: '/etc/debian_version', content: '12.0\n', mode: 0o644 },
    { path: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', content: host('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2') },
    { path: '/lib/x86_64-linux-gnu/libc.so.6', content: host('/lib/x86_64-linux-gnu/libc.so.6') },
    { path: '/lib64/ld-linux-x86-64.so.2', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    { path: '/bin/sh', content: bin.static! },
    { path: '/usr/bin/env', content: bin.static! }
  ]
}

/** An alpine-like base: the real musl loader, busybox as a static musl binary. */
function alpineBase(): MemoryEntry[] {
  return [
    { path: '/etc/alpine-release', content: '3.12.2\n', mode: 0o644 },
    { path: '/lib/ld-musl-x86_64.so.1', content: host('/lib/x86_64-linux-musl/libc.so') },
    { path: '/bin/busybox', content: bin.muslStatic! },
    { path: '/bin/sh', target: '/bin/busybox' },
    { path: '/usr/bin/env', target: '../../bin/busybox' }
  ]
}

function check(config: Partial<ImageConfig>, layers: MemoryEntry[][], platform = 'linux/amd64', args?: string[]) {
  return analyzeStart(createMemoryImageFs(config, layers), platform, { args })
}

const errors = (fs: Finding[]): string[] => fs.filter((f) => f.severity === 'error').map((f) => f.code)
const only = (fs: Finding[], code: string): Finding => {
  const f = fs.find((x) => x.code === code)
  if (!f) throw new Error(`no ${code} in ${JSON.stringify(fs, null, 1)}`)
  return f
}

describe('loaders', () => {
  it('names the missing glibc loader of a gcc binary on alpine, and what the image has instead', () => {
    const r = check({ entrypoint: ['/app/hello'] }, [alpineBase(), [{ path: '/app/hello', content: bin.glibc! }]])
    expect(errors(r.findings)).toEqual(['missing-loader'])
    const f = only(r.findings, 'missing-loader')
    expect(f.message).toContain('the glibc loader `/lib64/ld-linux-x86-64.so.2`')
    expect(f.message).toContain('`/lib/ld-musl-x86_64.so.1`')
    expect(f.message).toContain('alpine/musl')
    expect(f.fix).toContain('gcompat')
    expect(f.fix).toContain('-static')
    expect(f).toMatchObject({ platform: 'linux/amd64', file: '/app/hello' })
    expect(r.entry).toMatchObject({
      path: '/app/hello',
      kind: 'elf',
      machine: 'x86-64',
      linkage: 'dynamic',
      interpreter: '/lib64/ld-linux-x86-64.so.2',
      needed: ['libc.so.6']
    })
  })
  it('calls a loader that is simply absent absent, and a dangling link a link', () => {
    const absent = only(check({ entrypoint: ['/app/hello'] }, [alpineBase(), [{ path: '/app/hello', content: bin.glibc! }]]).findings, 'missing-loader')
    expect(absent.message).not.toContain('is a link')
    const base = debianBase().filter((e) => e.path !== '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2')
    const dangling = only(check({ entrypoint: ['/hello'] }, [base, [{ path: '/hello', content: bin.glibc! }]]).findings, 'missing-loader')
    expect(dangling.message).toContain('(`/lib64/ld-linux-x86-64.so.2` is a link to the missing `/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`)')
  })
  it('suggests CGO_ENABLED=0 for a cgo Go binary', () => {
    const r = check({ entrypoint: ['/server'] }, [alpineBase(), [{ path: '/server', content: bin.goCgo! }]])
    expect(only(r.findings, 'missing-loader').fix).toMatch(/^build without cgo: `CGO_ENABLED=0/)
  })
  it('says a scratch image has no loader at all', () => {
    const r = check({ entrypoint: ['/hello'] }, [[{ path: '/hello', content: bin.glibc! }]])
    expect(only(r.findings, 'missing-loader').message).toContain('no dynamic loader at all')
  })
  it('names the missing musl loader of a musl binary on a glibc image', () => {
    const r = check({ cmd: ['/hello'] }, [debianBase(), [{ path: '/hello', content: bin.musl! }]])
    const f = only(r.findings, 'missing-loader')
    expect(f.message).toContain('the musl loader `/lib/ld-musl-x86_64.so.1`')
    expect(f.message).toContain('a glibc image')
  })
  it('accepts a glibc binary on a glibc image and a musl binary on alpine', () => {
    expect(errors(check({ entrypoint: ['/hello'] }, [debianBase(), [{ path: '/hello', content: bin.glibc! }]]).findings)).toEqual([])
    expect(errors(check({ entrypoint: ['/hello'] }, [alpineBase(), [{ path: '/hello', content: bin.musl! }]]).findings)).toEqual([])
  })
  it('notes a static binary', () => {
    const r = check({ entrypoint: ['/hello'] }, [[{ path: '/hello', content: bin.static! }]])
    expect(r.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['notice:static-binary'])
  })
})

describe('libraries', () => {
  it('reports a DT_NEEDED library the loader cannot find', () => {
    const r = check({ entrypoint: ['/hello'] }, [debianBase(), [{ path: '/hello', content: bin.glibcLibm! }]])
    const f = only(r.findings, 'missing-library')
    expect(f.message).toContain('`libm.so.6`')
    expect(f.evidence).toContain('/lib/x86_64-linux-gnu/libm.so.6')
    expect(f.fix).toContain('apt-get install')
  })
  it('finds it in the multiarch directory', () => {
    const r = check({ entrypoint: ['/hello'] }, [
      debianBase(),
      [
        { path: '/hello', content: bin.glibcLibm! },
        { path: '/lib/x86_64-linux-gnu/libm.so.6', content: host('/lib/x86_64-linux-gnu/libm.so.6') }
      ]
    ])
    expect(errors(r.findings)).toEqual([])
  })
  it('skips a library built for another machine, as the loader does', () => {
    const r = check({ entrypoint: ['/hello'] }, [
      debianBase(),
      [
        { path: '/hello', content: bin.glibcLibm! },
        { path: '/usr/lib/libm.so.6', content: host('/usr/aarch64-linux-gnu/lib/libm.so.6') }
      ]
    ])
    expect(only(r.findings, 'missing-library').evidence).toContain('skipped for the wrong machine: /usr/lib/libm.so.6 (aarch64, 64-bit)')
  })
  it('expands $ORIGIN in RUNPATH', () => {
    const base = [...debianBase(), { path: '/app/bin/uses-foo', content: bin.usesFoo! }]
    expect(errors(check({ entrypoint: ['/app/bin/uses-foo'] }, [base, [{ path: '/app/lib/libfoo.so', content: bin.libfoo! }]]).findings)).toEqual([])
    expect(only(check({ entrypoint: ['/app/bin/uses-foo'] }, [base]).findings, 'missing-library').evidence).toContain('/app/lib/libfoo.so')
  })
  it('follows /etc/ld.so.conf includes', () => {
    const base = [...debianBase(), { path: '/app/uses-foo', content: bin.usesFoo! }, { path: '/opt/foo/lib/libfoo.so', content: bin.libfoo! }]
    expect(errors(check({ entrypoint: ['/app/uses-foo'] }, [base]).findings)).toEqual(['missing-library'])
    const conf = [
      { path: '/etc/ld.so.conf', content: 'include /etc/ld.so.conf.d/*.conf\n', mode: 0o644 },
      { path: '/etc/ld.so.conf.d/foo.conf', content: '# foo\n/opt/foo/lib\n', mode: 0o644 }
    ]
    expect(errors(check({ entrypoint: ['/app/uses-foo'] }, [base, conf]).findings)).toEqual([])
  })
  it('reads the musl path file', () => {
    const muslUsesFoo = compileC(dir, 'musl-uses-foo', 'musl-gcc', [`-L${dir}`], USES_FOO, ['-lfoo'])
    const base = [...alpineBase(), { path: '/app', content: fs.readFileSync(muslUsesFoo) }, { path: '/opt/m/libfoo.so', content: bin.libfoo! }]
    expect(errors(check({ entrypoint: ['/app'] }, [base]).findings)).toEqual(['missing-library'])
    expect(
      errors(check({ entrypoint: ['/app'] }, [base, [{ path: '/etc/ld-musl-x86_64.path', content: '/lib:/opt/m\n/usr/lib\n', mode: 0o644 }]]).findings)
    ).toEqual([])
  })
})

describe('architecture', () => {
  it('flags an arm64 binary in an amd64 image and an x86-64 binary in an arm64 image', () => {
    const a = check({ entrypoint: ['/server'] }, [[{ path: '/server', content: bin.goArm64! }]], 'linux/amd64')
    const f = only(a.findings, 'arch-mismatch')
    expect(f.message).toContain('built for aarch64 (linux/arm64), but the image is linux/amd64')
    expect(f.fix).toContain('FROM --platform=$BUILDPLATFORM')
    expect(f.fix).toContain('GOOS=$TARGETOS GOARCH=$TARGETARCH')
    const b = check({ entrypoint: ['/hello'] }, [[{ path: '/hello', content: bin.static! }]], 'linux/arm64')
    expect(errors(b.findings)).toEqual(['arch-mismatch'])
  })
  it('accepts arm hard-float on arm/v7 and flags it on arm64 (32 vs 64 bit)', () => {
    const layers = [
      [
        { path: '/lib/ld-linux-armhf.so.3', content: 'x' },
        { path: '/hello', content: bin.armhf! }
      ]
    ]
    expect(errors(check({ entrypoint: ['/hello'] }, layers, 'linux/arm/v7').findings)).not.toContain('arch-mismatch')
    expect(only(check({ entrypoint: ['/hello'] }, layers, 'linux/arm/v5').findings, 'arch-mismatch').message).toContain('hard-float')
    expect(errors(check({ entrypoint: ['/hello'] }, layers, 'linux/arm64').findings)).toContain('arch-mismatch')
  })
})

describe('entrypoint', () => {
  // Built lazily: the binaries exist only once beforeAll has run.
  const app = (): MemoryEntry[] => [...alpineBase(), { path: '/app/hello', content: bin.muslStatic! }]
  it('reports no ENTRYPOINT and no CMD', () => {
    expect(errors(check({}, [app()]).findings)).toEqual(['no-entrypoint'])
  })
  it('reports a missing absolute path and a name not on PATH', () => {
    expect(only(check({ entrypoint: ['/app/nope'] }, [app()]).findings, 'entrypoint-missing').message).toContain('`/app/nope` does not exist')
    const r = check({ entrypoint: ['nope'], env: ['PATH=/usr/bin:/bin'] }, [app()])
    expect(only(r.findings, 'entrypoint-missing').evidence).toBe('searched /usr/bin/nope, /bin/nope')
  })
  it('resolves names along the image PATH and relative paths against WorkingDir', () => {
    expect(check({ entrypoint: ['hello'], env: ['PATH=/app:/bin'] }, [app()]).entry?.path).toBe('/app/hello')
    expect(check({ entrypoint: ['./hello'], workingDir: '/app' }, [app()]).entry?.path).toBe('/app/hello')
    expect(check({ entrypoint: ['sh'] }, [app()]).entry?.path).toBe('/bin/busybox')
  })
  it('reports a dangling link', () => {
    const r = check({ entrypoint: ['/run'] }, [app(), [{ path: '/run', target: '/app/gone' }]])
    expect(only(r.findings, 'entrypoint-missing').message).toContain('`/run` is a link to `/app/gone`, which does not exist')
  })
  it('reports a directory and a file without the execute bit', () => {
    expect(errors(check({ entrypoint: ['/app'] }, [app()]).findings)).toEqual(['entrypoint-not-regular'])
    const r = check({ entrypoint: ['/app/hello'] }, [app(), [{ path: '/app/hello', content: bin.muslStatic!, mode: 0o644 }]])
    expect(only(r.findings, 'entrypoint-not-executable').message).toContain('mode 0644')
  })
  it('reports a file that is neither ELF nor a script', () => {
    expect(errors(check({ entrypoint: ['/app/run'] }, [app(), [{ path: '/app/run', content: 'echo hi\n' }]]).findings)).toEqual(['not-executable-format'])
  })
  it('appends smoke-args to ENTRYPOINT instead of CMD', () => {
    expect(startArgv(imageConfig({ entrypoint: ['/app/hello'], cmd: ['--serve'] }), ['--version'])).toEqual(['/app/hello', '--version'])
    expect(startArgv(imageConfig({ entrypoint: null, cmd: ['/app/hello', 'x'] }), ['/bin/sh', '-c', 'true'])).toEqual(['/bin/sh', '-c', 'true'])
    expect(startArgv(imageConfig({ entrypoint: ['/e'], cmd: ['c'] }))).toEqual(['/e', 'c'])
    expect(check({ cmd: ['/app/nope'] }, [app()], 'linux/amd64', ['/app/hello']).entry?.path).toBe('/app/hello')
  })
  it('checks the program a shell-form command runs', () => {
    const r = check({ cmd: ['/bin/sh', '-c', 'exec /app/server --port 80'] }, [app()])
    expect(only(r.findings, 'entrypoint-missing').message).toContain('shell form')
    expect(r.entry?.path).toBe('/bin/busybox')
    expect(shellCommandProgram('FOO=1 ./run.sh a')).toBe('./run.sh')
    expect(shellCommandProgram('cd /app && ./run')).toBeUndefined()
  })
})

describe('scripts', () => {
  it('reports #!/bin/bash on alpine', () => {
    const r = check({ entrypoint: ['/start.sh'] }, [alpineBase(), [{ path: '/start.sh', content: '#!/bin/bash\necho hi\n' }]])
    const f = only(r.findings, 'interpreter-missing')
    expect(f.message).toContain('bash is not in the image')
    expect(f.fix).toContain('apk add --no-cache bash')
    expect(f.fix).toContain('#!/bin/sh')
    expect(r.entry).toMatchObject({ kind: 'script', interpreter: '/bin/bash' })
  })
  it('reports CRLF line endings', () => {
    const r = check({ entrypoint: ['/start.sh'] }, [alpineBase(), [{ path: '/start.sh', content: '#!/bin/sh\r\necho hi\r\n' }]])
    expect(errors(r.findings)).toEqual(['shebang-crlf'])
    const f = only(r.findings, 'shebang-crlf')
    expect(f.message).toContain('Windows (CRLF) line endings; the kernel looks for an interpreter named `/bin/sh\\r`')
    expect(f.fix).toContain('dos2unix')
    expect(f.fix).toContain('eol=lf')
  })
  it('follows /usr/bin/env to the program on PATH', () => {
    const ok = check({ entrypoint: ['/start'] }, [alpineBase(), [{ path: '/start', content: '#!/usr/bin/env sh\necho\n' }]])
    expect(errors(ok.findings)).toEqual([])
    const missing = check({ entrypoint: ['/start'] }, [debianBase(), [{ path: '/start', content: '#!/usr/bin/env python3\nprint(1)\n' }]])
    const f = only(missing.findings, 'interpreter-missing')
    expect(f.message).toContain("`python3` is not on the image's PATH")
    expect(f.fix).toContain('apt-get install -y --no-install-recommends python3')
    expect(envProgram('-S bash -e')).toBe('bash')
    expect(envProgram('-Snode')).toBe('node')
  })
  it('checks the interpreter itself (a glibc shell on alpine)', () => {
    const r = check({ entrypoint: ['/start'] }, [
      alpineBase(),
      [
        { path: '/bin/bash', content: bin.glibc! },
        { path: '/start', content: '#!/bin/bash\n' }
      ]
    ])
    expect(errors(r.findings)).toEqual(['missing-loader'])
  })
  it('stops on an interpreter loop', () => {
    const r = check({ entrypoint: ['/a'] }, [
      [
        { path: '/a', content: '#!/b\n' },
        { path: '/b', content: '#!/a\n' }
      ]
    ])
    expect(r.entry?.kind).toBe('script')
  })
})

describe('explainStartFailure', () => {
  it('explains "no such file or directory" with the finding behind it', () => {
    const r = check({ entrypoint: ['/app/hello'] }, [alpineBase(), [{ path: '/app/hello', content: bin.glibc! }]])
    const text = explainStartFailure('exec /app/hello: no such file or directory', r.findings)
    expect(text).toContain('means either the program, or the loader')
    expect(text).toContain('/lib64/ld-linux-x86-64.so.2')
    expect(text).toContain('Fix:')
  })
  it('explains exec format error with an arch mismatch', () => {
    const r = check({ entrypoint: ['/server'] }, [[{ path: '/server', content: bin.goArm64! }]], 'linux/amd64')
    expect(explainStartFailure('exec /server: exec format error', r.findings)).toContain('built for aarch64')
  })
  it('explains generically without findings', () => {
    expect(explainStartFailure('exec /app: no such file or directory', [])).toMatch(/loader .* interpreter/)
    expect(explainStartFailure('exec /app: permission denied', [])).toContain('chmod +x')
    expect(explainStartFailure('exec /app: exec format error', [])).toContain('GOARCH=$TARGETARCH')
    expect(explainStartFailure('something else', [])).toContain('did not start')
  })
})
