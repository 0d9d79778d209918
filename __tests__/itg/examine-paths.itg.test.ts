import { afterAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { examineImage, type ImageReport } from '../../src/verify/doctor.js'
import { useSampleBinaries } from '../unit/verify/toolchains.js'

// Against the real engine: the API path and the `docker save` path must agree.

const bin = useSampleBinaries('container-fs-test-')

const withEngine = it
const tag = (name: string): string => `smokestack-container-fs-test/${name}:${process.pid}`
const built: string[] = []

function build(name: string, dockerfile: string, files: Record<string, Buffer | string> = {}): string {
  const ctx = fs.mkdtempSync(path.join(bin.dir, `${name}-`))
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(ctx, file), content, { mode: 0o755 })
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), dockerfile)
  const ref = tag(name)
  execFileSync(
    'docker',
    ['buildx', 'build', '--load', '--provenance=false', '--platform', 'linux/amd64', '--label', 'org.smokestack.test=container-fs', '-t', ref, ctx],
    {
      stdio: 'ignore',
      timeout: 300_000
    }
  )
  built.push(ref)
  return ref
}

function examineLabelled(): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', 'label=org.smokestack.role=examine'], { encoding: 'utf8' }).split('\n').filter(Boolean)
}

async function bothPaths(ref: string, args?: string[]): Promise<{ api: ImageReport; archive: ImageReport }> {
  const before = examineLabelled()
  const api = await examineImage(ref, 'linux/amd64', { method: 'api', args })
  expect(examineLabelled()).toEqual(before)
  const archive = await examineImage(ref, 'linux/amd64', { method: 'archive', args })
  expect(api.stats?.method).toBe('api')
  expect(archive.stats?.method).toBe('archive')
  expect(api.findings).toEqual(archive.findings)
  expect(api.entry).toEqual(archive.entry)
  expect(api.config).toEqual(archive.config)
  return { api, archive }
}

describe('examineImage through the engine API', () => {
  afterAll(() => {
    if (built.length > 0) execFileSync('docker', ['image', 'rm', '-f', ...built], { stdio: 'ignore' })
  })

  withEngine(
    'follows a symlinked entrypoint to a musl binary on alpine: it passes',
    async () => {
      const ref = build('musl', 'FROM alpine:3.12.2\nCOPY musl /opt/app/hello\nRUN ln -s /opt/app/hello /usr/local/bin/app\nENTRYPOINT ["app"]\n', {
        musl: bin.musl
      })
      const { api } = await bothPaths(ref)
      expect(api.entry).toMatchObject({ path: '/opt/app/hello', kind: 'elf', linkage: 'dynamic', interpreter: '/lib/ld-musl-x86_64.so.1' })
      expect(api.findings.filter((f) => f.severity === 'error')).toEqual([])
      expect(api.stats?.bytesRead).toBeGreaterThan(0)
    },
    300_000
  )

  withEngine(
    'reads a file deleted in a later layer as absent',
    async () => {
      const ref = build(
        'whiteout',
        'FROM alpine:3.12.2\nRUN printf "#!/bin/sh\\necho hi\\n" > /bin/tool && chmod +x /bin/tool \nRUN rm /bin/tool\nENTRYPOINT ["/bin/tool"]\n'
      )
      const { api } = await bothPaths(ref)
      expect(api.findings.map((f) => f.code)).toEqual(['entrypoint-missing'])
    },
    300_000
  )

  withEngine(
    'finds the missing loader of a dynamic binary in a FROM scratch image',
    async () => {
      const ref = build('scratch', 'FROM scratch\nCOPY glibc /hello\nENTRYPOINT ["/hello"]\n', { glibc: bin.glibc })
      const { api } = await bothPaths(ref)
      expect(api.findings.map((f) => f.code)).toEqual(['missing-loader'])
      expect(api.findings[0]!.message).toContain('no dynamic loader at all')
    },
    300_000
  )

  withEngine(
    'finds the libraries of a glibc binary through ld.so.conf includes on a Debian image',
    async () => {
      const ref = build('debian', 'FROM golang:1.15\nCOPY glibc /usr/local/bin/hello\nENTRYPOINT ["hello"]\n', { glibc: bin.glibc })
      const { api } = await bothPaths(ref)
      expect(api.entry).toMatchObject({ path: '/usr/local/bin/hello', interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libm.so.6', 'libc.so.6'] })
      expect(api.findings).toEqual([])
      expect(api.stats?.rounds).toBeLessThan(16)
    },
    300_000
  )

  withEngine(
    'falls back to docker save when the API cannot be used, and reports a missing image',
    async () => {
      const report = await examineImage('smokestack-container-fs-test/no-such-image:1', 'linux/amd64')
      expect(report.findings).toMatchObject([{ code: 'image-unreadable', severity: 'warning' }])
    },
    60_000
  )
})
