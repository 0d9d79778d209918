/**
 * A typed fake of @actions/cache, for `jest.unstable_mockModule('@actions/cache', …)`: outside a cache service
 * the pipeline must not call it, so each call is recorded and answers as the library does without a service
 * (no entry restored; a save that throws). Loading the real library would pull in its cloud SDKs for nothing.
 */
import type * as cache from '@actions/cache'
import { jest } from '@jest/globals'

export const restoreCache = jest.fn<typeof cache.restoreCache>(async () => undefined)
export const saveCache = jest.fn<typeof cache.saveCache>(async () => {
  throw new Error('Cache Service Url not found, unable to save cache.')
})
export const isFeatureAvailable = jest.fn<typeof cache.isFeatureAvailable>(() => false)

export function reset(): void {
  for (const m of [restoreCache, saveCache, isFeatureAvailable]) m.mockClear()
}
