import { describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import type { Finding } from '../../../src/types.js'
import { explainStartFailure } from '../../../src/verify/explain.js'
import { analyzeStart } from '../../../src/verify/linkage.js'
import { createMemoryImageFs, type ImageConfig, type MemoryEntry } from '../../../src/verify/rootfs.js'
import { runtimeMessage } from '../../../src/verify/smoke.js'
import { describeUnresolved, traceUnresolved } from '../../../src/verify/unresolved.js'
import { useSampleBinaries } from './toolchains.js'

// Every finding states only what is true of the image: a loop is a loop, a missing directory is a
// missing directory, and a link is called a link only when one was followed.

const bin = useSampleBinaries('messages-test-')

/** An alpine-like base: the host's musl loader, a musl shell. */
const alpine = (): MemoryEntry[] => [
  { path: '/etc/alpine-release', content: '3.12.2\n', mode: 0o644 },
  { path: '/lib/ld-musl-x86_64.so.1', content: fs.readFileSync('/lib/x86_64-linux-musl/libc.so') },
  { path: '/bin/busybox', content: bin.musl },
  { path: '/bin/sh', target: '/bin/busybox' },
  { path: '/usr/bin/env', target: '../../bin/busybox' },
  { path: '/etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 }
]

function findings(config: Partial<ImageConfig>, extra: MemoryEntry[], base = alpine()): Finding[] {
  return analyzeStart(createMemoryImageFs(config, [base, extra]), 'linux/amd64').findings
}

function one(fs: Finding[], code: string): Finding {
  const f = fs.filter((x) => x.code === code)
  if (f.length !== 1) throw new Error(`expected one ${code} in ${JSON.stringify(fs, null, 1)}`)
  return f[0]!
}

describe('what the entrypoint lookup says', () => {
  const cases: Array<{ name: string; config: Partial<ImageConfig>; files: MemoryEntry[]; code: string; says: string; never?: RegExp }> = [
    {
      name: 'a link to itself is a loop',
      config: { entrypoint: ['/loop-a'] },
      files: [{ path: '/loop-a', target: '/loop-a' }],
      code: 'entrypoint-missing',
      says: 'The entrypoint cannot be found: `/loop-a` cannot be resolved: too many levels of symbolic links (a loop: `/loop-a` → `/loop-a`).',
      never: /does not exist|is a link to/
    },
    {
      name: 'two links that point at each other are a loop, both listed',
      config: { entrypoint: ['/loop-b'] },
      files: [
        { path: '/loop-b', target: 'loop-c' },
        { path: '/loop-c', target: '/loop-b' }
      ],
      code: 'entrypoint-missing',
      says: 'too many levels of symbolic links (a loop: `/loop-b` → `loop-c`, `/loop-c` → `/loop-b`)'
    },
    {
      name: 'a missing directory is named as the first missing component',
      config: { entrypoint: ['/app/hello'] },
      files: [],
      code: 'entrypoint-missing',
      says: 'The entrypoint cannot be found: `/app/hello` does not exist in the image (`/app` does not exist).',
      never: /link/
    },
    {
      name: 'a missing file in a directory that exists',
      config: { entrypoint: ['/bin/hello'] },
      files: [],
      code: 'entrypoint-missing',
      says: 'The entrypoint cannot be found: `/bin/hello` does not exist in the image.',
      never: /link|\(/
    },
    {
      name: 'a link to a missing file',
      config: { entrypoint: ['/run'] },
      files: [{ path: '/run', target: '/bin/gone' }],
      code: 'entrypoint-missing',
      says: '`/run` does not exist in the image (`/run` is a link to `/bin/gone`, which does not exist).'
    },
    {
      name: 'a link into a missing directory names that directory',
      config: { entrypoint: ['/run'] },
      files: [{ path: '/run', target: '/opt/x/app' }],
      code: 'entrypoint-missing',
      says: '(following `/run` → `/opt/x/app`: `/opt` does not exist)'
    },
    {
      name: 'a file used as a directory',
      config: { entrypoint: ['/etc/passwd/app'] },
      files: [],
      code: 'entrypoint-missing',
      says: 'The entrypoint cannot be found: `/etc/passwd/app` cannot be reached: `/etc/passwd` is not a directory.',
      never: /does not exist|link/
    },
    {
      name: 'a looping link on PATH',
      config: { entrypoint: ['app'], env: ['PATH=/usr/local/bin:/bin'] },
      files: [{ path: '/usr/local/bin/app', target: 'app' }],
      code: 'entrypoint-missing',
      says: "`app` is not in any directory of the image's PATH (`/usr/local/bin/app` cannot be resolved: too many levels of symbolic links (a loop: `/usr/local/bin/app` → `app`))"
    },
    {
      name: 'a file on PATH without the execute bit: the runtime says "not found in $PATH"',
      config: { entrypoint: ['app'], env: ['PATH=/usr/local/bin:/bin'] },
      files: [{ path: '/usr/local/bin/app', content: '#!/bin/sh\n', mode: 0o644 }],
      code: 'entrypoint-not-executable',
      says: '`app` on the image\'s PATH is `/usr/local/bin/app`, which is a file without execute permission (mode 0644), so the runtime finds no executable `app` ("executable file not found in $PATH")',
      never: /permission denied/
    },
    {
      name: 'a directory on PATH',
      config: { entrypoint: ['app'], env: ['PATH=/usr/local/bin:/bin'] },
      files: [{ path: '/usr/local/bin/app', type: 'dir' }],
      code: 'entrypoint-not-regular',
      says: "`app` on the image's PATH is `/usr/local/bin/app`, which is a directory"
    },
    {
      name: 'a file named by path without the execute bit: "permission denied" is what execve says',
      config: { entrypoint: ['/app'] },
      files: [{ path: '/app', content: '#!/bin/sh\n', mode: 0o644 }],
      code: 'entrypoint-not-executable',
      says: 'The entrypoint `/app` has no execute permission (mode 0644), so starting it fails with "permission denied".'
    }
  ]
  for (const c of cases) {
    it(c.name, () => {
      const f = one(findings(c.config, c.files), c.code)
      expect(f.message).toContain(c.says)
      if (c.never) expect(f.message).not.toMatch(c.never)
    })
  }
})

describe('what the loader and interpreter checks say', () => {
  const loader = '/lib64/ld-linux-x86-64.so.2'
  it('a looping loader link is a loop, and the start fails with ELOOP', () => {
    const f = one(
      findings(
        { entrypoint: ['/hello'] },
        [
          { path: '/hello', content: bin.glibc },
          { path: loader, target: 'ld-linux-x86-64.so.2' }
        ],
        []
      ),
      'missing-loader'
    )
    expect(f.message).toContain(
      `needs the glibc loader \`${loader}\`, which cannot be resolved: too many levels of symbolic links (a loop: \`${loader}\` → \`ld-linux-x86-64.so.2\`)`
    )
    expect(f.message).toContain('Starting it fails with "too many levels of symbolic links".')
    expect(f.message).not.toContain('not in the image')
  })
  it('a link of the loader directory to a missing directory says which link', () => {
    const f = one(
      findings(
        { entrypoint: ['/hello'] },
        [
          { path: '/hello', content: bin.glibc },
          { path: '/usr', type: 'dir' },
          { path: '/lib64', target: '/usr/lib64' }
        ],
        []
      ),
      'missing-loader'
    )
    expect(f.message).toContain(`which is not in the image (\`/lib64\` is a link to the missing \`/usr/lib64\`)`)
    const deeper = one(
      findings(
        { entrypoint: ['/hello'] },
        [
          { path: '/hello', content: bin.glibc },
          { path: '/lib64', target: '/usr/lib64' }
        ],
        []
      ),
      'missing-loader'
    )
    expect(deeper.message).toContain('which is not in the image (following `/lib64` → `/usr/lib64`: `/usr` does not exist)')
  })
  it('a loader that is simply absent is absent, with no link named; its missing directory is named', () => {
    const f = one(
      findings(
        { entrypoint: ['/hello'] },
        [
          { path: '/hello', content: bin.glibc },
          { path: '/lib64', type: 'dir' }
        ],
        []
      ),
      'missing-loader'
    )
    expect(f.message).toContain(`\`${loader}\`, which is not in the image; the image has no dynamic loader at all`)
    expect(f.message).not.toContain('link')
    const noDir = one(findings({ entrypoint: ['/hello'] }, [{ path: '/hello', content: bin.glibc }], []), 'missing-loader')
    expect(noDir.message).toContain(`\`${loader}\`, which is not in the image (\`/lib64\` does not exist); the image has no dynamic loader at all`)
  })
  it('a directory where the loader should be is a directory, and no runtime error is claimed', () => {
    const f = one(
      findings(
        { entrypoint: ['/hello'] },
        [
          { path: '/hello', content: bin.glibc },
          { path: loader, type: 'dir' }
        ],
        []
      ),
      'missing-loader'
    )
    expect(f.message).toContain(`but \`${loader}\` is a directory, not the loader`)
    expect(f.message).not.toContain('Starting it fails')
  })
  it('an interpreter behind a looping link is a loop', () => {
    const f = one(
      findings({ entrypoint: ['/start'] }, [
        { path: '/start', content: '#!/opt/sh\necho\n' },
        { path: '/opt/sh', target: '/opt/sh' }
      ]),
      'interpreter-missing'
    )
    expect(f.message).toContain('starts with `#!/opt/sh`, but `/opt/sh` cannot be resolved: too many levels of symbolic links')
    expect(f.message).toContain('fails with "too many levels of symbolic links"')
  })
  it('an interpreter in a missing directory names the directory', () => {
    const f = one(findings({ entrypoint: ['/start'] }, [{ path: '/start', content: '#!/opt/py/bin/python3\n' }]), 'interpreter-missing')
    expect(f.message).toContain('but python3 is not in the image (`/opt` does not exist), so starting it fails with "no such file or directory"')
  })
  it('CRLF after the interpreter name: the kernel looks for `sh\\r`', () => {
    const f = one(findings({ entrypoint: ['/start'] }, [{ path: '/start', content: '#!/bin/sh\r\necho\r\n' }]), 'shebang-crlf')
    expect(f.severity).toBe('error')
    expect(f.message).toContain('the kernel looks for an interpreter named `/bin/sh\\r`, which does not exist')
  })
  it('CRLF after an argument: the interpreter exists and receives `-e\\r`; nothing claims a missing `sh\\r`', () => {
    const fs = findings({ entrypoint: ['/start'] }, [{ path: '/start', content: '#!/bin/sh -e\r\necho\r\n' }])
    const f = one(fs, 'shebang-crlf')
    expect(f.severity).toBe('warning')
    expect(f.message).toContain('its interpreter `/bin/sh` receives the argument `-e\\r`')
    expect(f.message).not.toContain('looks for an interpreter')
    expect(fs.filter((x) => x.severity === 'error')).toEqual([])
  })
  it('CRLF after the program of `#!/usr/bin/env`: env looks for `bash\\r`', () => {
    const f = one(findings({ entrypoint: ['/start'] }, [{ path: '/start', content: '#!/usr/bin/env bash\r\necho\r\n' }]), 'shebang-crlf')
    expect(f.severity).toBe('error')
    expect(f.message).toContain("`/usr/bin/env` looks for a program named `bash\\r`, which is not on the image's PATH")
  })
  it('CRLF with an interpreter whose name really ends in CR: no finding, it starts', () => {
    const fs = findings({ entrypoint: ['/start'] }, [
      { path: '/start', content: '#!/bin/sh\r\necho\r\n' },
      { path: '/bin/sh\r', target: '/bin/busybox' }
    ])
    expect(fs.filter((x) => x.code === 'shebang-crlf')).toEqual([])
  })
})

describe('the runtime words and their explanation', () => {
  it('reads runc’s stat errors for loops, missing paths and files used as directories', () => {
    const runc = (path: string, err: string): string =>
      `docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${path}": stat ${path}: ${err}: unknown`
    expect(runtimeMessage(runc('/loop-b', 'too many levels of symbolic links'))).toBe('exec /loop-b: too many levels of symbolic links')
    expect(runtimeMessage(runc('/dangling-dir/y', 'no such file or directory'))).toBe('exec /dangling-dir/y: no such file or directory')
    expect(runtimeMessage(runc('/etc/passwd/x', 'not a directory') + ': Are you trying to mount a directory onto a file (or vice-versa)?')).toBe(
      'exec /etc/passwd/x: not a directory'
    )
  })
  it('explains a loop as a loop, with the finding', () => {
    const fs = findings({ entrypoint: ['/loop-a'] }, [{ path: '/loop-a', target: '/loop-a' }])
    const text = explainStartFailure('exec /loop-a: too many levels of symbolic links', fs)
    expect(text).toContain('means a symbolic link on the way to the program')
    expect(text).toContain('a loop: `/loop-a` → `/loop-a`')
  })
  it('describes an engine-refused link without inventing its target', () => {
    const image = createMemoryImageFs({}, [[]])
    const lstat = (p: string) => (p === '/x' ? { type: 'symlink' as const, mode: 0o777, size: 0, layer: 0, loop: true } : image.lstat(p))
    const u = traceUnresolved({ ...image, config: image.config, lstat, readdir: image.readdir, readFile: image.readFile, realpath: image.realpath }, '/x')
    expect(u).toMatchObject({ reason: 'loop', at: '/x', cycle: [] })
    expect(describeUnresolved(u!, '/x')).toBe('too many levels of symbolic links (from `/x`)')
  })
})
