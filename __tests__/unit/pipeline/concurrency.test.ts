import { describe, it, expect } from '@jest/globals'
import * as os from 'node:os'
import { checksAtOnce, mapLimit } from '../../../src/pipeline/concurrency.js'

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('mapLimit', () => {
  it('runs at most `limit` at once, reaches the limit, and keeps the items’ order', async () => {
    let inFlight = 0
    let most = 0
    const results = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n, i) => {
      inFlight++
      most = Math.max(most, inFlight)
      await tick(n * 3)
      inFlight--
      return `${i}:${n}`
    })
    expect(most).toBe(3)
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6'])
  })

  it('runs every item at once when the limit is above their number, and one at a time for a limit below 1', async () => {
    for (const [limit, expected] of [
      [10, 4],
      [0, 1]
    ]) {
      let inFlight = 0
      let most = 0
      await mapLimit([1, 2, 3, 4], limit, async () => {
        inFlight++
        most = Math.max(most, inFlight)
        await tick(2)
        inFlight--
      })
      expect(most).toBe(expected)
    }
  })

  it('gives up on the first failure', async () => {
    await expect(mapLimit([1, 2], 2, async (n) => (n === 2 ? Promise.reject(new Error('two')) : n))).rejects.toThrow('two')
  })
})

describe('checksAtOnce', () => {
  it('is at least 4, and at least the machine’s parallelism', () => {
    expect(checksAtOnce()).toBeGreaterThanOrEqual(4)
    expect(checksAtOnce()).toBeGreaterThanOrEqual(os.availableParallelism())
  })
})
