import { describe, it, expect } from '@jest/globals'
import { readableLogLine, StdoutCapture } from '../../../src/cli/log.js'

describe('readableLogLine', () => {
  it('turns workflow commands into plain text', () => {
    expect(readableLogLine('::group::linux/amd64: build', { debug: false })).toBe('── linux/amd64: build')
    expect(readableLogLine('::endgroup::', { debug: false })).toBeUndefined()
    expect(readableLogLine('::warning title=smokestack%3A x,file=Dockerfile::cgo is on%0AFix: CGO_ENABLED=0 (100%25)', { debug: false })).toBe(
      'warning: cgo is on\nFix: CGO_ENABLED=0 (100%)'
    )
    expect(readableLogLine('::error::build failed', { debug: false })).toBe('error: build failed')
    expect(readableLogLine('plain text: with a colon', { debug: false })).toBe('plain text: with a colon')
  })

  it('shows debug lines only when asked, and never masks or state', () => {
    expect(readableLogLine('::debug::$ docker buildx build', { debug: false })).toBeUndefined()
    expect(readableLogLine('::debug::$ docker buildx build', { debug: true })).toBe('$ docker buildx build')
    expect(readableLogLine('::add-mask::s3cret', { debug: true })).toBeUndefined()
    expect(readableLogLine('::save-state name=leftovers::{}', { debug: true })).toBeUndefined()
  })
})

describe('StdoutCapture', () => {
  it('captures process.stdout writes line by line until restored, then writes go through again', () => {
    const seen: string[] = []
    const original = process.stdout.write
    const capture = new StdoutCapture((line) => seen.push(line), 3)
    capture.start()
    try {
      expect(process.stdout.write).not.toBe(original)
      process.stdout.write('one\ntw')
      process.stdout.write(Buffer.from('o\nthree\r\nfour\n'))
      let called = false
      process.stdout.write('five', () => (called = true))
      capture.restore()
      expect(process.stdout.write).toBe(original)
      expect(seen).toEqual(['one', 'two', 'three', 'four', 'five'])
      expect(capture.tail(10)).toEqual(['three', 'four', 'five'])
      expect(capture.tail(1)).toEqual(['five'])
      return new Promise<void>((resolve) => setImmediate(() => {
        expect(called).toBe(true)
        resolve()
      }))
    } finally {
      capture.restore()
    }
  })
})
