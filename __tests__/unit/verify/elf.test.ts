import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import { describeElf, dockerPlatformOf, parseElf, type ElfInfo } from '../../../src/verify/elf.js'
import { buildGo, compileC, tempDir } from './toolchains.js'

let dir: string
const bins: Record<string, string> = {}

beforeAll(() => {
  dir = tempDir('elf-test-')
  bins.gccDynamic = compileC(dir, 'gcc-dynamic', 'gcc', ['-O1'])
  bins.gccStatic = compileC(dir, 'gcc-static', 'gcc', ['-static'])
  bins.gccStaticPie = compileC(dir, 'gcc-static-pie', 'gcc', ['-static-pie'])
  bins.gccRunpath = compileC(dir, 'gcc-runpath', 'gcc', ['-Wl,-rpath,$ORIGIN/../lib', '-Wl,--enable-new-dtags'])
  bins.muslDynamic = compileC(dir, 'musl-dynamic', 'musl-gcc')
  bins.muslStatic = compileC(dir, 'musl-static', 'musl-gcc', ['-static'])
  bins.aarch64 = compileC(dir, 'aarch64', 'aarch64-linux-gnu-gcc')
  bins.armhf = compileC(dir, 'armhf', 'arm-linux-gnueabihf-gcc')
  bins.goCgo = buildGo(dir, 'go-cgo', { CGO_ENABLED: '1' })
  bins.goStatic = buildGo(dir, 'go-static', { CGO_ENABLED: '0' })
  bins.goArm64 = buildGo(dir, 'go-arm64', { CGO_ENABLED: '0', GOARCH: 'arm64' })
  bins.goArmV7 = buildGo(dir, 'go-armv7', { CGO_ENABLED: '0', GOARCH: 'arm', GOARM: '7' })
}, 300_000)

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function parsed(name: string): ElfInfo {
  const r = parseElf(fs.readFileSync(bins[name]!))
  if (!r.ok) throw new Error(`${name}: ${r.error}`)
  return r.elf
}

describe('parseElf on real toolchain output', () => {
  it('reads a gcc dynamic executable', () => {
    const e = parsed('gccDynamic')
    expect(e).toMatchObject({
      bits: 64,
      endian: 'little',
      machine: 'x86-64',
      platform: 'linux/amd64',
      interpreter: '/lib64/ld-linux-x86-64.so.2',
      linkage: 'dynamic',
      go: false
    })
    expect(e.needed).toEqual(['libc.so.6'])
    expect(e.type).toBe('shared') // Debian's gcc builds PIE by default
    expect(e.pie).toBe(true)
  })
  it('reads a gcc -static executable', () => {
    const e = parsed('gccStatic')
    expect(e).toMatchObject({ machine: 'x86-64', type: 'executable', linkage: 'static', needed: [] })
    expect(e.interpreter).toBeUndefined()
  })
  it('reads a gcc -static-pie executable', () => {
    const e = parsed('gccStaticPie')
    expect(e).toMatchObject({ type: 'shared', linkage: 'static-pie', pie: true })
    expect(e.interpreter).toBeUndefined()
  })
  it('reads RUNPATH', () => {
    const e = parsed('gccRunpath')
    expect(e.runpath).toEqual(['$ORIGIN/../lib'])
    expect(e.rpath).toEqual([])
  })
  it('reads musl-gcc dynamic and static executables', () => {
    const d = parsed('muslDynamic')
    expect(d.interpreter).toBe('/lib/ld-musl-x86_64.so.1')
    expect(d.needed).toEqual(['libc.so'])
    expect(d.linkage).toBe('dynamic')
    const s = parsed('muslStatic')
    expect(s.interpreter).toBeUndefined()
    expect(s.needed).toEqual([])
    expect(['static', 'static-pie']).toContain(s.linkage)
  })
  it('reads Go binaries with and without cgo', () => {
    const cgo = parsed('goCgo')
    expect(cgo).toMatchObject({ machine: 'x86-64', go: true, linkage: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2' })
    expect(cgo.needed).toContain('libc.so.6')
    const pure = parsed('goStatic')
    expect(pure).toMatchObject({ machine: 'x86-64', go: true, linkage: 'static', needed: [] })
    expect(pure.interpreter).toBeUndefined()
  })
  it('reads cross-compiled Go for arm64 and arm/v7', () => {
    expect(parsed('goArm64')).toMatchObject({ bits: 64, machine: 'aarch64', platform: 'linux/arm64', linkage: 'static', go: true })
    const arm = parsed('goArmV7')
    expect(arm).toMatchObject({ bits: 32, machine: 'arm', machineCode: 40, linkage: 'static', go: true })
    expect(arm.platform?.startsWith('linux/arm')).toBe(true)
  })
  it('reads aarch64-linux-gnu-gcc and arm-linux-gnueabihf-gcc output', () => {
    expect(parsed('aarch64')).toMatchObject({
      bits: 64,
      machine: 'aarch64',
      platform: 'linux/arm64',
      interpreter: '/lib/ld-linux-aarch64.so.1',
      needed: ['libc.so.6']
    })
    expect(parsed('armhf')).toMatchObject({
      bits: 32,
      machine: 'arm',
      armFloat: 'hard',
      platform: 'linux/arm/v7',
      interpreter: '/lib/ld-linux-armhf.so.3',
      needed: ['libc.so.6']
    })
  })
  it('describes a binary in one line', () => {
    expect(describeElf(parsed('goCgo'))).toMatch(
      /^ELF 64-bit LSB executable, x86-64, dynamically linked \(interpreter \/lib64\/ld-linux-x86-64.so.2\), needs .*libc.so.6.*, Go$/
    )
  })
})

describe('parseElf on bad input', () => {
  it('rejects non-ELF and empty input with a typed error', () => {
    expect(parseElf(Buffer.from('#!/bin/sh\necho hi\n'))).toMatchObject({ ok: false, code: 'not-elf' })
    expect(parseElf(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'not-elf' })
    expect(parseElf(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))).toMatchObject({ ok: false, code: 'truncated' })
  })
  it('reports a file cut inside the program headers as truncated', () => {
    const buf = fs.readFileSync(bins.gccDynamic!)
    expect(parseElf(buf.subarray(0, 100))).toMatchObject({ ok: false, code: 'truncated' })
  })
  it('keeps the header fields when only the dynamic section is beyond the bytes given', () => {
    const buf = fs.readFileSync(bins.goCgo!)
    const r = parseElf(buf.subarray(0, 8192))
    expect(r.ok).toBe(true)
    if (r.ok) {
      expect(r.elf.interpreter).toBe('/lib64/ld-linux-x86-64.so.2')
      expect(r.elf.warnings.join(' ')).toMatch(/dynamic section/)
    }
  })
  it('rejects an absurd program header count without allocating for it', () => {
    const buf = Buffer.from(fs.readFileSync(bins.gccStatic!))
    buf.writeUInt16LE(0xfff0, 56) // e_phnum
    expect(parseElf(buf)).toMatchObject({ ok: false, code: 'malformed' })
    buf.writeUInt16LE(1, 56)
    buf.writeBigUInt64LE(0xffff_ffff_ffff_ff00n, 32) // e_phoff far beyond the file
    expect(parseElf(buf)).toMatchObject({ ok: false, code: 'truncated' })
  })

  it('survives thousands of random mutations and truncations of real binaries in bounded time', () => {
    let seed = 12345
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const sources = ['gccDynamic', 'muslDynamic', 'armhf', 'aarch64', 'goCgo'].map((n) => fs.readFileSync(bins[n]!))
    // Mutations concentrate on the headers, where the parser's decisions are made.
    let failures = 0
    let slowest = 0
    for (let i = 0; i < 4000; i++) {
      const src = sources[i % sources.length]!
      const len = i % 4 === 0 ? rand(Math.min(src.length, 16384)) : Math.min(src.length, 65536 + rand(src.length))
      const buf = Buffer.from(src.subarray(0, len))
      const flips = 1 + rand(16)
      for (let j = 0; j < flips && buf.length > 0; j++) {
        const at = rand(2) === 0 ? rand(Math.min(buf.length, 4096)) : rand(buf.length)
        buf[at] = rand(4) === 0 ? 0xff : rand(256)
      }
      const t = process.hrtime.bigint()
      const r = parseElf(buf)
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - t) / 1e6)
      if (!r.ok) failures++
      expect(typeof r.ok).toBe('boolean')
    }
    expect(failures).toBeGreaterThan(0)
    expect(slowest).toBeLessThan(500)
  })
})

describe('dockerPlatformOf', () => {
  it('maps machines to Docker platforms', () => {
    expect(dockerPlatformOf(62, 64, 'little')).toBe('linux/amd64')
    expect(dockerPlatformOf(3, 32, 'little')).toBe('linux/386')
    expect(dockerPlatformOf(40, 32, 'little', 'soft')).toBe('linux/arm/v6')
    expect(dockerPlatformOf(21, 64, 'little')).toBe('linux/ppc64le')
    expect(dockerPlatformOf(22, 64, 'big')).toBe('linux/s390x')
    expect(dockerPlatformOf(243, 64, 'little')).toBe('linux/riscv64')
    expect(dockerPlatformOf(8, 64, 'little')).toBe('linux/mips64le')
  })
})
