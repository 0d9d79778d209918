/** The check, shared by the integration suites, that a run leaves nothing behind. */
import { beforeAll, expect } from '@jest/globals'
import { leftovers } from './docker.js'

/**
 * Counts the engine's smokestack containers and temporary tags when a suite starts (call it at the top of the
 * file), and returns the check that a run (and its post step) left none behind and no file in its RUNNER_TEMP.
 */
export function leftoverCheck(): (run: { leftoverFiles: string[]; post?: { exitCode: number } }) => void {
  let before: ReturnType<typeof leftovers> | undefined
  beforeAll(() => {
    before = leftovers()
  })
  return (run) => {
    if (run.post) expect(run.post.exitCode).toBe(0)
    expect(leftovers()).toEqual(before)
    expect(run.leftoverFiles).toEqual([])
  }
}
