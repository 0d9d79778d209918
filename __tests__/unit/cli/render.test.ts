import { describe, it, expect } from '@jest/globals'
import { layoutColumns, painter, renderReport, renderTable, useColor, visibleLength } from '../../../src/cli/render.js'
import { doneText, Progress, stepText } from '../../../src/cli/progress.js'
import { buildReport, type RunReport } from '../../../src/report/model.js'
import type { PipelineResult, PlatformOutcome } from '../../../src/pipeline/outcomes.js'
import { built, result } from '../../fixtures/outcomes.js'

const ESC = '\x1b['
const plain = painter(false)
const colored = painter(true)

const passed: PlatformOutcome = {
  platform: 'linux/amd64',
  build: built({ ref: 'smokestack-local/x:amd64', durationMs: 9_840 }),
  check: { findings: [], durationMs: 612, start: { outcome: 'exited', passed: true, exitCode: 0, durationMs: 400, message: 'exited with code 0' } },
  size: { size: 7_340_000, compressedSize: 3_160_000, layers: 3, largestLayers: [], durationMs: 50 }
}

const failed: PlatformOutcome = {
  platform: 'linux/arm64',
  build: built({ ref: 'smokestack-local/x:arm64', durationMs: 41_200 }),
  check: {
    durationMs: 1_480,
    findings: [
      {
        severity: 'error',
        code: 'missing-loader',
        message: "Entrypoint `/code/hellodocker-go` needs glibc's `/lib/ld-linux-aarch64.so.1`, which is not in the image.",
        fix: 'Build with CGO_ENABLED=0.',
        evidence: 'PT_INTERP /lib/ld-linux-aarch64.so.1\nimage has /lib/ld-musl-aarch64.so.1',
        file: '/code/hellodocker-go'
      }
    ],
    start: {
      outcome: 'start-failed',
      passed: false,
      exitCode: 127,
      durationMs: 90,
      message: 'exec /code/hellodocker-go: no such file or directory',
      outputTail: 'exec /code/hellodocker-go: no such file or directory\n'
    }
  },
  size: { size: 13_200_000, compressedSize: 6_100_000, layers: 3, largestLayers: [], durationMs: 50 }
}

function reportOf(platforms: PlatformOutcome[], overrides: Partial<PipelineResult> = {}): RunReport {
  return buildReport(result(platforms, overrides), { sizeGated: false })
}

describe('useColor', () => {
  it('colours a terminal only, and never with NO_COLOR set', () => {
    expect(useColor(true, {})).toBe(true)
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false)
    expect(useColor(true, { NO_COLOR: '' })).toBe(true)
    expect(useColor(false, {})).toBe(false)
    expect(useColor(undefined, {})).toBe(false)
  })
})

describe('layoutColumns', () => {
  it('aligns columns by visible width, numbers to the right, ignoring colour codes', () => {
    const lines = layoutColumns(
      [
        ['a', colored('green', 'ok'), '1 B'],
        ['long name', 'failed', '12.3 MB']
      ],
      new Set([2])
    )
    expect(lines.map(visibleLength)).toEqual([26, 26])
    expect(lines[0].endsWith('    1 B')).toBe(true)
    expect(lines[1]).toBe('long name  failed  12.3 MB')
  })
})

describe('renderTable', () => {
  const report = reportOf([passed, failed])

  it('shows one row per platform with sizes, layers, start outcome and times', () => {
    const [head, amd64, arm64] = renderTable(report, plain)
    expect(head.split(/\s{2,}/)).toEqual(['Platform', 'Result', 'Disk size', 'Compressed', 'Layers', 'Start', 'Build', 'Check'])
    expect(amd64.split(/\s{2,}/)).toEqual(['linux/amd64', '✔ passed', '7.3 MB', '3.2 MB', '3', 'exited 0', '9.8 s', '0.6 s'])
    expect(arm64.split(/\s{2,}/)).toEqual(['linux/arm64', '✘ failed', '13.2 MB', '6.1 MB', '3', 'did not start', '41.2 s', '1.5 s'])
    // Every column starts at the same place on every line.
    expect(amd64.indexOf('passed')).toBe(head.indexOf('Result') + 2)
    expect(head.length).toBe(arm64.length)
  })

  it('shows a dash for what was not measured, and a Change column only with a baseline', () => {
    const broken: PlatformOutcome = { platform: 'linux/arm/v7', build: built({ ok: false, durationMs: 2000, error: 'x' }) }
    const [head, row] = renderTable(reportOf([broken]), plain)
    expect(head).not.toContain('Change')
    expect(row.split(/\s{2,}/)).toEqual(['linux/arm/v7', '✘ failed', '–', '–', '–', '–', '2.0 s', '–'])
    const withDelta = renderTable(
      reportOf([passed], {
        baseline: { ref: 'b', available: true, growthGateSkipped: false, deltas: [{ platform: 'linux/amd64', bytes: 150_000, percent: 5, change: 'changed' }] }
      }),
      plain
    )
    expect(withDelta[0]).toContain('Change')
    expect(withDelta[1]).toContain('+150 kB (+5.0%)')
  })

  it('has no escape codes without colour, and colours the verdicts with it', () => {
    expect(renderReport(report, plain)).not.toContain(ESC)
    const [, amd64, arm64] = renderTable(report, colored)
    expect(amd64).toContain(`${ESC}32m✔ passed${ESC}39m`)
    expect(arm64).toContain(`${ESC}31m✘ failed${ESC}39m`)
  })
})

describe('renderReport', () => {
  it('explains a failed platform under the table: the error, each finding with its fix and evidence, the output', () => {
    const unexplained: PlatformOutcome = {
      ...failed,
      check: {
        durationMs: 1,
        findings: [],
        start: { ...failed.check!.start!, outputTail: 'standard_init_linux.go:228: exec user process caused: no such file' }
      }
    }
    const plainError = renderReport(reportOf([unexplained]), plain).split('\n')
    expect(plainError).toContain(
      '  error exec /code/hellodocker-go: no such file or directory: "exec /code/hellodocker-go: no such file or directory" means either the program, or the loader it needs (for a dynamically linked binary), or the interpreter named on its `#!` line (for a script) is missing from the image. Check that the final stage copies the program to the path ENTRYPOINT/CMD names. For a binary built on another base image (e.g. with glibc, run on alpine/musl or scratch), link it statically (`CGO_ENABLED=0` for Go) or use a matching base image; for a script, make sure its interpreter is installed and that the file has LF line endings.'
    )
    expect(plainError).toContain('    standard_init_linux.go:228: exec user process caused: no such file')

    const text = renderReport(reportOf([passed, failed]), plain)
    const lines = text.split('\n')
    const at = lines.indexOf('✘ linux/arm64')
    expect(at).toBeGreaterThan(2)
    // The findings explain the start failure: the error line keeps the runtime's words only, and an output equal to them is not repeated.
    expect(lines.slice(at + 1, at + 7)).toEqual([
      '  error exec /code/hellodocker-go: no such file or directory',
      "  error missing-loader /code/hellodocker-go: Entrypoint `/code/hellodocker-go` needs glibc's `/lib/ld-linux-aarch64.so.1`, which is not in the image.",
      '    fix: Build with CGO_ENABLED=0.',
      '    PT_INTERP /lib/ld-linux-aarch64.so.1',
      '    image has /lib/ld-musl-aarch64.so.1',
      ''
    ])
    expect(text).not.toContain('✔ linux/amd64\n')
    expect(lines.at(-2)).toBe('✘ 1 of 2 platforms failed: linux/arm64')
  })

  it('lists Dockerfile advice with its line, notes, and the verdict with the digest when published', () => {
    const publish = { ok: true, digest: 'sha256:abc', platformDigests: {}, compressedSizes: {}, published: ['r/app:1'], restored: [] }
    const advice = [{ severity: 'warning' as const, code: 'cgo-on-musl' as const, message: 'cgo is on', fix: 'CGO_ENABLED=0', file: 'Dockerfile', line: 6 }]
    const text = renderReport(reportOf([passed], { publish, advice, notes: ['Nothing else.'] }), plain)
    expect(text).toContain('Dockerfile advice (1)\n  warning cgo-on-musl Dockerfile:6: cgo is on\n    fix: CGO_ENABLED=0')
    expect(text).toContain('Nothing else.')
    expect(text.trimEnd().split('\n').at(-1)).toBe('✔ 1/1 platform passed · published sha256:abc')
  })
})

describe('progress', () => {
  it('describes what each platform is doing, and its verdict with the times once done', () => {
    expect(stepText('linux/arm64', new Set(['build'] as const), plain)).toBe('linux/arm64  building…')
    expect(stepText('linux/arm64', new Set(['size', 'check'] as const), plain)).toBe('linux/arm64  looking inside and starting, measuring…')
    expect(doneText({ ...passed, platform: 'linux/arm64', build: built({ durationMs: 41_200 }), check: { ...passed.check!, durationMs: 900 } }, plain)).toBe(
      'linux/arm64  ✔ passed (build 41.2 s, check 0.9 s)'
    )
    expect(doneText({ platform: 'linux/arm64', build: built({ ok: false, durationMs: 1000 }) }, colored)).toContain(`${ESC}31m✘ failed`)
  })

  it('writes a line per change to a pipe, and redraws one status line on a terminal', () => {
    const written: string[] = []
    const stream = { write: (s: string) => written.push(s) } as unknown as NodeJS.WritableStream
    const done: PlatformOutcome = { ...passed, build: built({ durationMs: 1000 }), check: { ...passed.check!, durationMs: 500 } }
    const pipe = new Progress(stream, false, plain)
    pipe.step('Engine and builder')
    pipe.started('linux/amd64', 'build')
    pipe.finished('linux/amd64', 'build')
    pipe.done(done)
    expect(written).toEqual(['linux/amd64  building…\n', 'linux/amd64  ✔ passed (build 1.0 s, check 0.5 s)\n'])

    written.length = 0
    const tty = new Progress(stream, true, plain)
    tty.step('Engine and builder')
    tty.started('linux/amd64', 'build')
    tty.started('linux/arm64', 'build')
    tty.done(done)
    tty.stop()
    expect(written[0]).toBe('\r\x1b[2KEngine and builder… 0 s')
    expect(written[1]).toBe('\r\x1b[2Klinux/amd64  building… 0 s')
    expect(written[2]).toBe('\r\x1b[2Klinux/amd64  building… · linux/arm64  building… 0 s')
    expect(written.slice(3)).toEqual(['\r\x1b[2K', 'linux/amd64  ✔ passed (build 1.0 s, check 0.5 s)\n', '\r\x1b[2Klinux/arm64  building… 0 s', '\r\x1b[2K'])
  })
})
