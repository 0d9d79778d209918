import { describe, it, expect } from '@jest/globals'
import { checkBudget } from '../../../src/size/budget.js'

const arm64 = { platform: 'linux/arm64', size: 60_000_000, compressedSize: 23_400_000 }

describe('checkBudget', () => {
  it('fails an image over the budget, naming size, budget, excess and platform', () => {
    const finding = checkBudget(arm64, { maxSize: 20_000_000, metric: 'compressed' })
    expect(finding).toMatchObject({ severity: 'error', code: 'size-budget', platform: 'linux/arm64' })
    expect(finding!.message).toBe('linux/arm64: compressed size 23.4 MB exceeds max-size 20 MB by 3.4 MB')
  })
  it('passes an image exactly at the budget', () => {
    expect(checkBudget(arm64, { maxSize: 23_400_000, metric: 'compressed' })).toBeUndefined()
    expect(checkBudget(arm64, { maxSize: 23_399_999, metric: 'compressed' })).toBeDefined()
  })
  it('passes an image under the budget', () => {
    expect(checkBudget(arm64, { maxSize: 30_000_000, metric: 'compressed' })).toBeUndefined()
  })
  it('measures the size on disk when asked', () => {
    expect(checkBudget(arm64, { maxSize: 30_000_000, metric: 'disk' })!.message).toBe('linux/arm64: size on disk 60 MB exceeds max-size 30 MB by 30 MB')
    expect(checkBudget(arm64, { maxSize: 60_000_000, metric: 'disk' })).toBeUndefined()
  })
  it('has nothing to say without a budget', () => {
    expect(checkBudget(arm64, { metric: 'disk' })).toBeUndefined()
  })
})
