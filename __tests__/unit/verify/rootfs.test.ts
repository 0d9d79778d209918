import { describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import { Readable } from 'node:stream'
import { createMemoryImageFs, readImageArchive, resolveInRoot, normalizeImagePath, ImageArchiveError } from '../../../src/verify/rootfs.js'
import { classicArchive, ociArchive, packTar, type ImageSpec } from './archives.js'

const config = {
  architecture: 'amd64',
  os: 'linux',
  config: { Entrypoint: ['/app/run'], Cmd: ['--serve'], Env: ['PATH=/usr/bin:/bin'], WorkingDir: '/app', User: 'nobody' }
}

/** Base layer with files that a later layer deletes (whiteouts) and an opaque directory. */
const layered: ImageSpec = {
  config,
  layers: [
    [
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', content: '\x7fELF-sh', mode: 0o755 },
      { name: 'bin/old', content: 'old', mode: 0o755 },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/conf.d/', type: 'directory' },
      { name: 'etc/conf.d/a.conf', content: 'a' },
      { name: 'etc/conf.d/b.conf', content: 'b' },
      { name: 'data/big.bin', content: Buffer.alloc(100_000, 1) },
      { name: 'lib/libx.so.1', content: 'libx' },
      { name: 'app/run-hard', type: 'link', linkname: 'bin/sh' }
    ],
    [
      { name: 'bin/.wh.old', content: '' },
      { name: 'etc/conf.d/.wh..wh..opq', content: '' },
      { name: 'etc/conf.d/c.conf', content: 'c' },
      { name: 'app/run', content: '#!/bin/sh\nexec server\n', mode: 0o755 },
      { name: 'usr/bin/sh', linkname: '/bin/sh' },
      { name: 'loop/a', linkname: 'b' },
      { name: 'loop/b', linkname: 'a' }
    ]
  ]
}

function readerOf(buf: Buffer, chunk = 7919): Readable {
  // Small, odd-sized chunks exercise the stream boundaries.
  return Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk)
    })()
  )
}

describe('readImageArchive', () => {
  for (const [format, make] of [
    ['classic docker save', () => classicArchive(layered)],
    ['OCI layout with gzip layers', () => ociArchive(layered)],
    ['OCI layout with manifest.json and plain layers', () => ociArchive(layered, { gzip: false, withManifestJson: true })]
  ] as const) {
    it(`reads the config, applies layers and whiteouts: ${format}`, async () => {
      const image = await readImageArchive(readerOf(await make()), { tempDir: os.tmpdir() })
      try {
        expect(image.config).toMatchObject({
          entrypoint: ['/app/run'],
          cmd: ['--serve'],
          env: ['PATH=/usr/bin:/bin'],
          workingDir: '/app',
          user: 'nobody',
          architecture: 'amd64',
          os: 'linux'
        })
        expect(image.lstat('/bin/old')).toBeUndefined()
        expect(image.lstat('/bin/sh')).toMatchObject({ type: 'file', mode: 0o755, layer: 0 })
        expect(image.readdir('/etc/conf.d')).toEqual(['c.conf'])
        expect(image.lstat('/app/run')).toMatchObject({ type: 'file', layer: 1 })
        expect(image.readFile('/app/run')?.toString()).toBe('#!/bin/sh\nexec server\n')
        expect(image.readFile('/bin/sh')?.toString()).toBe('\x7fELF-sh')
        expect(image.readFile('/app/run-hard')?.toString()).toBe('\x7fELF-sh')
        expect(image.readFile('/lib/libx.so.1')?.toString()).toBe('libx')
        // Contents only of what an analysis may read: a non-executable data file is indexed, not copied.
        expect(image.lstat('/data/big.bin')).toMatchObject({ type: 'file', size: 100_000 })
        expect(image.readFile('/data/big.bin')).toBeUndefined()
        expect(image.stats.spooledBytes).toBeLessThan(1000)
        expect(image.realpath('/usr/bin/sh')).toEqual({ ok: true, path: '/bin/sh' })
        expect(image.realpath('/loop/a')).toMatchObject({ ok: false, reason: 'loop' })
      } finally {
        image.close()
      }
    })
  }

  it('picks the platform asked for from an archive with several images', async () => {
    const amd = await classicArchive(layered)
    expect(amd.length).toBeGreaterThan(0)
    const image = await readImageArchive(readerOf(amd), { platform: 'linux/arm64' })
    // Only one image: it is returned even when the platform differs (the analysis reports the mismatch).
    expect(image.config.architecture).toBe('amd64')
    image.close()
  })

  it('reports zstd layers as unsupported', async () => {
    const zstdBlob = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(600)])
    const cfg = Buffer.from(JSON.stringify(config))
    const archive = await packTar([
      { name: 'layer0/layer.tar', content: zstdBlob },
      { name: 'c.json', content: cfg },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['layer0/layer.tar'] }]) }
    ])
    await expect(readImageArchive(readerOf(archive))).rejects.toThrow(/zstd/)
  })

  it('rejects mutated and truncated archives with an error, never a crash or a hang', async () => {
    const good = await ociArchive(layered)
    const classic = await classicArchive(layered)
    let seed = 99
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    let ok = 0
    let rejected = 0
    const started = Date.now()
    for (let i = 0; i < 300; i++) {
      const src = i % 2 ? good : classic
      const buf = Buffer.from(src.subarray(0, i % 3 === 0 ? rand(src.length) : src.length))
      for (let j = 0; j < 1 + rand(8); j++) if (buf.length) buf[rand(buf.length)] = rand(256)
      try {
        const image = await readImageArchive(readerOf(buf, 4096))
        image.lstat('/bin/sh')
        image.realpath('/loop/a')
        image.close()
        ok++
      } catch (err) {
        expect(err).toBeInstanceOf(ImageArchiveError)
        rejected++
      }
    }
    expect(ok + rejected).toBe(300)
    expect(rejected).toBeGreaterThan(0)
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 60_000)

  it('never places entries outside the image root', async () => {
    const layer = await packTar([
      { name: '../../escape', content: 'x', mode: 0o755 },
      { name: '/abs/ok', content: 'y', mode: 0o755 },
      { name: 'a/../../b', content: 'z', mode: 0o755 }
    ])
    const archive = await packTar([
      { name: 'l/layer.tar', content: layer },
      { name: 'c.json', content: JSON.stringify(config) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) }
    ])
    const image = await readImageArchive(readerOf(archive))
    expect(image.readdir('/')?.sort()).toEqual(['abs'])
    expect(image.readFile('/abs/ok')?.toString()).toBe('y')
    image.close()
  })

  it('leaves no spool file behind', async () => {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/spool-test-`)
    const image = await readImageArchive(readerOf(await classicArchive(layered)), { tempDir: dir })
    expect(fs.readdirSync(dir)).toEqual([])
    expect(image.readFile('/app/run')?.toString()).toMatch(/^#!/)
    image.close()
    fs.rmSync(dir, { recursive: true })
  })
})

describe('resolveInRoot', () => {
  const image = createMemoryImageFs({}, [
    [
      { path: '/bin/busybox', content: 'x' },
      { path: '/bin/sh', target: 'busybox' },
      { path: '/usr/bin/env', target: '../../bin/busybox' },
      { path: '/escape', target: '../../../../bin/sh' },
      { path: '/abs', target: '/usr/bin/env' },
      { path: '/lib', target: 'usr/lib' },
      { path: '/usr/lib/libc.so', content: 'c' },
      { path: '/self', target: 'self' },
      { path: '/dangling', target: '/nowhere/x' },
      { path: '/file/under', target: '/bin/busybox/x' }
    ]
  ])
  it('follows relative and absolute links inside the root, clamping `..` at /', () => {
    expect(image.realpath('/bin/sh')).toEqual({ ok: true, path: '/bin/busybox' })
    expect(image.realpath('/usr/bin/env')).toEqual({ ok: true, path: '/bin/busybox' })
    expect(image.realpath('/escape')).toEqual({ ok: true, path: '/bin/busybox' })
    expect(image.realpath('/abs')).toEqual({ ok: true, path: '/bin/busybox' })
    expect(image.realpath('/lib/libc.so')).toEqual({ ok: true, path: '/usr/lib/libc.so' })
  })
  it('detects loops and dangling links', () => {
    expect(image.realpath('/self')).toEqual({ ok: false, reason: 'loop', path: '/self' })
    expect(image.realpath('/dangling')).toEqual({ ok: false, reason: 'missing', path: '/nowhere' })
    expect(image.realpath('/file/under')).toEqual({ ok: false, reason: 'not-dir', path: '/bin/busybox' })
  })
  it('allows a chain of 40 links and stops at 41', () => {
    const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/l${i}`, target: i === n - 1 ? '/t' : `/l${i + 1}` }))
    const ok = createMemoryImageFs({}, [[{ path: '/t', content: 'x' }, ...chain(40)]])
    expect(ok.realpath('/l0')).toEqual({ ok: true, path: '/t' })
    const tooLong = createMemoryImageFs({}, [[{ path: '/t', content: 'x' }, ...chain(41)]])
    expect(tooLong.realpath('/l0')).toMatchObject({ ok: false, reason: 'loop' })
  })
  it('normalizes paths', () => {
    expect(normalizeImagePath('/a/./b/../../../c//d')).toBe('/c/d')
    expect(resolveInRoot(() => undefined, '/')).toEqual({ ok: true, path: '/' })
  })
})
