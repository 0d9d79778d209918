/** Running work for many items at once, bounded. */
import * as os from 'node:os'

/**
 * How many platforms are looked inside and started at once. The work is mostly the engine's (creating, starting,
 * waiting for containers), not this process's, so it is not held to the core count: at least 4, more on a
 * bigger machine.
 */
export function checksAtOnce(): number {
  return Math.max(4, os.availableParallelism())
}

/** Runs `work` for every item, at most `limit` at a time; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index], index)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return results
}
