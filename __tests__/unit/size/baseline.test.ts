import { describe, it, expect } from '@jest/globals'
import { checkGrowth, diffSizes } from '../../../src/size/baseline.js'

describe('diffSizes', () => {
  const current = new Map([
    ['linux/amd64', 27_500_000],
    ['linux/arm64', 25_000_000],
    ['linux/riscv64', 9_000_000]
  ])
  const baseline = new Map([
    ['linux/amd64', 25_000_000],
    ['linux/arm64', 25_000_000],
    ['linux/arm/v7', 20_000_000]
  ])

  it('reports change per platform in bytes and percent, and platforms on one side only', () => {
    expect(diffSizes(current, baseline)).toEqual([
      { platform: 'linux/amd64', change: 'changed', current: 27_500_000, baseline: 25_000_000, bytes: 2_500_000, percent: 10 },
      { platform: 'linux/arm/v7', change: 'removed', baseline: 20_000_000, bytes: -20_000_000 },
      { platform: 'linux/arm64', change: 'changed', current: 25_000_000, baseline: 25_000_000, bytes: 0, percent: 0 },
      { platform: 'linux/riscv64', change: 'added', current: 9_000_000, bytes: 9_000_000 }
    ])
  })
  it('reports shrinkage as a negative change', () => {
    const [d] = diffSizes(new Map([['linux/amd64', 24_000_000]]), new Map([['linux/amd64', 25_000_000]]))
    expect(d).toMatchObject({ bytes: -1_000_000, percent: -4 })
  })
})

describe('checkGrowth', () => {
  const deltas = diffSizes(
    new Map([
      ['linux/amd64', 26_250_000], // +5%
      ['linux/arm64', 26_000_000], // +4%
      ['linux/s390x', 1_000_000] // added
    ]),
    new Map([
      ['linux/amd64', 25_000_000],
      ['linux/arm64', 25_000_000],
      ['linux/ppc64le', 90_000_000] // removed
    ])
  )

  it('fails platforms that grew by more than a percentage; exactly at the limit passes', () => {
    expect(checkGrowth(deltas, { percent: 5 })).toEqual([])
    const findings = checkGrowth(deltas, { percent: 4.5 })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ severity: 'error', code: 'size-growth', platform: 'linux/amd64' })
    expect(findings[0].message).toBe('linux/amd64: compressed size grew by +1.3 MB (+5.0%), from 25 MB to 26.3 MB, more than max-growth 4.5%')
  })
  it('fails platforms that grew by more than a size; exactly at the limit passes', () => {
    expect(checkGrowth(deltas, { bytes: 1_250_000 })).toEqual([])
    const findings = checkGrowth(deltas, { bytes: 1_000_000 })
    expect(findings.map((f) => f.platform)).toEqual(['linux/amd64'])
    expect(findings[0].message).toContain('more than max-growth 1 MB')
    expect(checkGrowth(deltas, { bytes: 999_999 }).map((f) => f.platform)).toEqual(['linux/amd64', 'linux/arm64'])
  })
  it('never fails added, removed or shrunk platforms', () => {
    const shrunk = diffSizes(new Map([['linux/amd64', 1]]), new Map([['linux/amd64', 2]]))
    expect(checkGrowth(shrunk, { percent: 0 })).toEqual([])
    expect(
      checkGrowth(
        deltas.filter((d) => d.change !== 'changed'),
        { bytes: 0 }
      )
    ).toEqual([])
  })
})
