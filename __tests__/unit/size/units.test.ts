import { describe, it, expect } from '@jest/globals'
import { formatBytes, formatDelta, parseGrowth, parseSize } from '../../../src/size/units.js'

describe('parseSize', () => {
  it.each([
    ['1048576', 1048576],
    ['0', 0],
    ['20MB', 20_000_000],
    ['20mb', 20_000_000],
    ['20M', 20_000_000],
    ['19.5MiB', 19.5 * 2 ** 20],
    ['19.5mib', 19.5 * 2 ** 20],
    ['1.2GB', 1_200_000_000],
    ['500kB', 500_000],
    ['500KB', 500_000],
    ['500k', 500_000],
    ['1.5 GiB', 1.5 * 2 ** 30],
    ['1 TB', 1e12],
    ['2TiB', 2 * 2 ** 40],
    ['64KiB', 65536],
    ['64 ki', 65536],
    ['512B', 512],
    ['512 b', 512],
    ['  20MB  ', 20_000_000],
    ['.5MB', 500_000],
    ['1.0000001kB', 1000]
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseSize(text, 'max-size')).toBe(bytes)
  })

  it.each([
    '',
    ' ',
    '20 XB',
    'MB',
    '-5MB',
    '+5MB',
    '5 MBB',
    '5 MiBB',
    '1e6',
    '1,000',
    '1.2.3MB',
    '20 megabytes',
    '20%',
    '0x100',
    'twenty',
    '5 iB',
    '5Bi',
    '5.',
    '9999999999 TB'
  ])('rejects %j, naming the input and what is accepted', (text) => {
    expect(() => parseSize(text, 'max-size')).toThrow(
      `Input "max-size": "${text}" is not a size; use bytes or a number with a unit: kB, MB, GB (1000-based) or KiB, MiB, GiB (1024-based), e.g. 20MB`
    )
  })
})

describe('parseGrowth', () => {
  it('reads percentages', () => {
    expect(parseGrowth('5%', 'max-growth')).toEqual({ percent: 5 })
    expect(parseGrowth('0.5%', 'max-growth')).toEqual({ percent: 0.5 })
    expect(parseGrowth(' 12.5 % ', 'max-growth')).toEqual({ percent: 12.5 })
  })
  it('reads sizes', () => {
    expect(parseGrowth('2MB', 'max-growth')).toEqual({ bytes: 2_000_000 })
    expect(parseGrowth('1MiB', 'max-growth')).toEqual({ bytes: 1048576 })
    expect(parseGrowth('4096', 'max-growth')).toEqual({ bytes: 4096 })
  })
  it.each(['%', '-5%', '5%%', 'five percent', '2 XB', ''])('rejects %j naming the input', (text) => {
    expect(() => parseGrowth(text, 'max-growth')).toThrow(`Input "max-growth": "${text}" is not a growth`)
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [999, '999 B'],
    [1000, '1 kB'],
    [812_000, '812 kB'],
    [812_499, '812 kB'],
    [5_100_000, '5.1 MB'],
    [5_149_999, '5.1 MB'],
    [23_400_000, '23.4 MB'],
    [99_960_000, '100 MB'],
    [999_600, '1 MB'],
    [1_200_000_000, '1.2 GB'],
    [20 * 2 ** 20, '21 MB'],
    [-512_000, '-512 kB']
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})

describe('formatDelta', () => {
  it('signs growth and shrinkage with their percentage', () => {
    expect(formatDelta(3_100_000, 12.4)).toBe('+3.1 MB (+12.4%)')
    expect(formatDelta(-512_000, -2)).toBe('−512 kB (−2.0%)')
  })
  it('shows no change as ±0 B', () => {
    expect(formatDelta(0, 0)).toBe('±0 B')
  })
  it('leaves out a percentage that is absent or infinite', () => {
    expect(formatDelta(2048)).toBe('+2 kB')
    expect(formatDelta(2048, Infinity)).toBe('+2 kB')
  })
})
