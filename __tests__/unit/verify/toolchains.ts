/** Builds real ELF files with the installed toolchains, into a temp dir, for the tests. */
import { afterAll, beforeAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export const C_PROGRAM = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'
export const C_PROGRAM_WITH_LIBM = '#include <math.h>\n#include <stdio.h>\nint main(int c, char **v) { printf("%f\\n", cos((double)c)); return 0; }\n'
export const GO_PROGRAM = 'package main\n\nimport (\n\t"fmt"\n\t"net"\n)\n\nfunc main() { fmt.Println(net.ParseIP("127.0.0.1")) }\n'

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

function exec(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Compile C source with `compiler`, flags and libraries (`-lfoo`, placed after the source); returns the output path. */
export function compileC(dir: string, name: string, compiler: string, flags: string[] = [], source = C_PROGRAM, libs: string[] = []): string {
  const src = path.join(dir, `${name}.c`)
  fs.writeFileSync(src, source)
  const out = path.join(dir, name)
  exec(compiler, [...flags, '-o', out, src, ...libs, ...(source.includes('math.h') ? ['-lm'] : [])], dir)
  return out
}

/** Build the Go program with the given environment (CGO_ENABLED, GOARCH, …), offline; the build cache is shared in the temp dir. */
export function buildGo(dir: string, name: string, env: Record<string, string>): string {
  const src = path.join(dir, 'main.go')
  if (!fs.existsSync(src)) fs.writeFileSync(src, GO_PROGRAM)
  const out = path.join(dir, name)
  exec('go', ['build', '-o', out, 'main.go'], dir, {
    ...process.env,
    GOCACHE: path.join(os.tmpdir(), 'verify-test-gocache'),
    GOPATH: path.join(dir, 'gopath'),
    GO111MODULE: 'off',
    GOFLAGS: '',
    GOPROXY: 'off',
    ...env
  })
  return out
}

/**
 * For a test file: a temp dir holding a glibc binary that needs libm and a dynamically linked musl
 * binary, compiled before the tests and removed after them. Read the fields inside tests.
 */
export function useSampleBinaries(prefix: string): { dir: string; glibc: Buffer; musl: Buffer } {
  const sample = { dir: '', glibc: Buffer.alloc(0), musl: Buffer.alloc(0) }
  beforeAll(() => {
    sample.dir = tempDir(prefix)
    sample.glibc = fs.readFileSync(compileC(sample.dir, 'glibc', 'gcc', [], C_PROGRAM_WITH_LIBM))
    sample.musl = fs.readFileSync(compileC(sample.dir, 'musl', 'musl-gcc'))
  }, 120_000)
  afterAll(() => {
    if (sample.dir) fs.rmSync(sample.dir, { recursive: true, force: true })
  })
  return sample
}
