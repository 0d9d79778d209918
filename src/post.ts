/** The post step: removes everything the main step left, even after a failure or a cancellation. */
import * as core from '@actions/core'
import { STATE_KEY, parseLeftovers, removeLeftovers } from './cleanup.js'
import { messageOf } from './errors.js'

export async function post(): Promise<void> {
  const leftovers = parseLeftovers(core.getState(STATE_KEY) || '{}')
  const count = leftovers.containers.length + leftovers.images.length + leftovers.dirs.length
  if (count === 0) {
    core.info('Nothing to clean up.')
    return
  }
  const problems = await removeLeftovers(leftovers)
  for (const p of problems) core.warning(`Cleanup: could not remove ${p}`)
  core.info(`Cleaned up ${leftovers.containers.length} container(s), ${leftovers.images.length} temporary tag(s), ${leftovers.dirs.length} directory(ies).`)
}

post().catch((e: unknown) => core.warning(`Cleanup failed: ${messageOf(e)}`))
