import { describe, it, expect } from '@jest/globals'
import { layoutColumns, painter, renderReport, renderTable, useColor, visibleLength } from '../../../src/cli/render.js'
import { Progress, progressText } from '../../../src/cli/progress.js'
import type { RunReport } from '../../../src/report/outputs.js'
import type { PlatformResult } from '../../../src/types.js'

const ESC = '\x1b['
const plain = painter(false)
const colored = painter(true)

const passed: PlatformResult = {
  platform: 'linux/amd64',
  localRef: 'smokestack-local/x:amd64',
  status: 'passed',
  size: 7_340_000,
  compressedSize: 3_160_000,
  layers: 3,
  buildMs: 9_840,
  checkMs: 612,
  findings: [],
  smoke: { outcome: 'exited', passed: true, exitCode: 0, durationMs: 400, message: 'exited with code 0' }
}

const failed: PlatformResult = {
  platform: 'linux/arm64',
  localRef: 'smokestack-local/x:arm64',
  status: 'failed',
  size: 13_200_000,
  compressedSize: 6_100_000,
  layers: 3,
  buildMs: 41_200,
  checkMs: 1_480,
  error: 'exec /code/hellodocker-go: no such file or directory: the loader is missing',
  findings: [
    {
      severity: 'error',
      code: 'missing-loader',
      message: 'Entrypoint `/code/hellodocker-go` needs glibc\'s `/lib/ld-linux-aarch64.so.1`, which is not in the image.',
      fix: 'Build with CGO_ENABLED=0.',
      evidence: 'PT_INTERP /lib/ld-linux-aarch64.so.1\nimage has /lib/ld-musl-aarch64.so.1',
      file: '/code/hellodocker-go'
    }
  ],
  smoke: { outcome: 'start-failed', passed: false, exitCode: 127, durationMs: 90, message: 'exec /code/hellodocker-go: no such file or directory', outputTail: 'exec /code/hellodocker-go: no such file or directory\n' }
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
  const report: RunReport = { results: [passed, failed] }

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
    const built: PlatformResult = { platform: 'linux/arm/v7', localRef: 'r', status: 'failed', findings: [], buildMs: 2000, error: 'build failed: x' }
    const [head, row] = renderTable({ results: [built] }, plain)
    expect(head).not.toContain('Change')
    expect(row.split(/\s{2,}/)).toEqual(['linux/arm/v7', '✘ failed', '–', '–', '–', '–', '2.0 s', '–'])
    const withDelta = renderTable({ results: [passed], deltas: [{ platform: 'linux/amd64', bytes: 150_000, percent: 5, change: 'changed' }] }, plain)
    expect(withDelta[0]).toContain('Change')
    expect(withDelta[1]).toContain('+150 kB (+5.0%)')
  })

  it('has no escape codes without colour, and colours the verdicts with it', () => {
    expect(renderReport(report, { advice: [], notes: [] }, plain)).not.toContain(ESC)
    const [, amd64, arm64] = renderTable(report, colored)
    expect(amd64).toContain(`${ESC}32m✔ passed${ESC}39m`)
    expect(arm64).toContain(`${ESC}31m✘ failed${ESC}39m`)
  })
})

describe('renderReport', () => {
  it('explains a failed platform under the table: the error, each finding with its fix and evidence, the output', () => {
    const unexplained = { ...failed, findings: [], smoke: { ...failed.smoke!, outputTail: 'standard_init_linux.go:228: exec user process caused: no such file' } }
    const plainError = renderReport({ results: [unexplained] }, { advice: [], notes: [] }, plain).split('\n')
    expect(plainError).toContain('  error exec /code/hellodocker-go: no such file or directory: the loader is missing')
    expect(plainError).toContain('    standard_init_linux.go:228: exec user process caused: no such file')

    const text = renderReport({ results: [passed, failed] }, { advice: [], notes: [] }, plain)
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
    const text = renderReport(
      { results: [passed], digest: 'sha256:abc' },
      { advice: [{ severity: 'warning', code: 'cgo-on-musl', message: 'cgo is on', fix: 'CGO_ENABLED=0', file: 'Dockerfile', line: 6 }], notes: ['Nothing else.'] },
      plain
    )
    expect(text).toContain('Dockerfile advice (1)\n  warning cgo-on-musl Dockerfile:6: cgo is on\n    fix: CGO_ENABLED=0')
    expect(text).toContain('Nothing else.')
    expect(text.trimEnd().split('\n').at(-1)).toBe('✔ 1/1 platform passed · published sha256:abc')
  })
})

describe('progress', () => {
  it('describes each phase, with the build time once known', () => {
    const r: PlatformResult = { platform: 'linux/arm64', localRef: 'r', status: 'passed', findings: [] }
    expect(progressText('linux/arm64', 'building', r, plain)).toBe('linux/arm64  building…')
    expect(progressText('linux/arm64', 'checking', { ...r, buildMs: 41_200 }, plain)).toBe('linux/arm64  looking inside and starting… (built in 41.2 s)')
    expect(progressText('linux/arm64', 'sizing', { ...r, buildMs: 41_200 }, plain)).toBe('linux/arm64  measuring… (built in 41.2 s)')
    expect(progressText('linux/arm64', 'done', { ...r, buildMs: 41_200, checkMs: 900 }, plain)).toBe('linux/arm64  ✔ passed (build 41.2 s, check 0.9 s)')
    expect(progressText('linux/arm64', 'done', { ...r, status: 'failed', buildMs: 1000 }, colored)).toContain(`${ESC}31m✘ failed`)
  })

  it('writes a line per change to a pipe, and redraws one status line on a terminal', () => {
    const written: string[] = []
    const stream = { write: (s: string) => written.push(s) } as unknown as NodeJS.WritableStream
    const r: PlatformResult = { platform: 'linux/amd64', localRef: 'r', status: 'passed', findings: [], buildMs: 1000, checkMs: 500 }
    const pipe = new Progress(stream, false, plain)
    pipe.step('Engine and builder')
    pipe.platform('linux/amd64', 'building', r)
    pipe.platform('linux/amd64', 'done', r)
    expect(written).toEqual(['linux/amd64  building…\n', 'linux/amd64  ✔ passed (build 1.0 s, check 0.5 s)\n'])

    written.length = 0
    const tty = new Progress(stream, true, plain)
    tty.step('Engine and builder')
    tty.platform('linux/amd64', 'building', r)
    tty.platform('linux/amd64', 'done', r)
    tty.clear()
    expect(written[0]).toBe('\r\x1b[2KEngine and builder… 0 s')
    expect(written[1]).toBe('\r\x1b[2Klinux/amd64  building… 0 s')
    expect(written.slice(2)).toEqual(['\r\x1b[2K', 'linux/amd64  ✔ passed (build 1.0 s, check 0.5 s)\n'])
  })
})
