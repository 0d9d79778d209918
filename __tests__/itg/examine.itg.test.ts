import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { examineImage } from '../../src/verify/doctor.js'
import { compileC, tempDir } from '../unit/verify/toolchains.js'

/** A light check against the real engine; the pipeline's integration tests cover the rest. */
const withEngine = it

const ref = `smokestack-verify-test:${process.pid}`
let dir: string

beforeAll(() => {
  dir = tempDir('doctor-test-')
  compileC(dir, 'hello', 'gcc')
  compileC(dir, 'hello-static', 'gcc', ['-static'])
  fs.writeFileSync(path.join(dir, 'start.sh'), '#!/bin/sh\r\nexec /hello\r\n')
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY hello /hello\nCOPY hello-static /bin/sh\nCOPY --chmod=755 start.sh /start.sh\nENTRYPOINT ["/hello"]\nCMD ["--serve"]\n'
  )
  execFileSync('docker', ['buildx', 'build', '--load', '--provenance=false', '-t', ref, dir], { stdio: 'ignore', timeout: 300_000 })
}, 300_000)

afterAll(() => {
  execFileSync('docker', ['image', 'rm', '-f', ref], { stdio: 'ignore' })
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('examineImage', () => {
  withEngine(
    'reads a real image from the engine and finds the missing loader',
    async () => {
      const report = await examineImage(ref, 'linux/amd64')
      expect(report.config).toMatchObject({ entrypoint: ['/hello'], cmd: ['--serve'], architecture: 'amd64', os: 'linux' })
      expect(report.entry).toMatchObject({ path: '/hello', argv: ['/hello', '--serve'], kind: 'elf', machine: 'x86-64', linkage: 'dynamic' })
      expect(report.findings.map((f) => f.code)).toEqual(['missing-loader'])
      expect(report.findings[0]!.message).toContain('no dynamic loader at all')
    },
    60_000
  )
  withEngine(
    'applies smoke-args in place of CMD',
    async () => {
      const report = await examineImage(ref, 'linux/arm64', { args: ['/start.sh'] })
      expect(report.entry?.argv).toEqual(['/hello', '/start.sh'])
      expect(report.findings.map((f) => f.code)).toEqual(['arch-mismatch', 'missing-loader'])
    },
    60_000
  )
  withEngine(
    'reports an image that does not exist as unreadable',
    async () => {
      const report = await examineImage('smokestack-verify-test:no-such-tag', 'linux/amd64')
      expect(report.findings).toMatchObject([{ code: 'image-unreadable', severity: 'warning' }])
    },
    60_000
  )
})
