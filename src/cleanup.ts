/**
 * Everything a run leaves on the machine until `post`: containers, temporary tags, temporary
 * directories. Recorded in the step's state as soon as it exists, so that `post` removes it even
 * after a failure or a cancellation.
 */
import * as fs from 'node:fs'
import { docker, cancelCommands } from './docker/exec.js'
import type { ResourceLog } from './pipeline/reporter.js'

export interface Leftovers {
  containers: string[]
  images: string[]
  dirs: string[]
}

export const STATE_KEY = 'leftovers'

export function emptyLeftovers(): Leftovers {
  return { containers: [], images: [], dirs: [] }
}

export function parseLeftovers(text: string): Leftovers {
  try {
    const v = JSON.parse(text) as Partial<Leftovers>
    const strings = (a: unknown): string[] => (Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [])
    return { containers: strings(v.containers), images: strings(v.images), dirs: strings(v.dirs) }
  } catch {
    return emptyLeftovers()
  }
}

/** Tracks leftovers and mirrors each change to `persist` (the action saves them in the step's state for `post`). */
export class Tracker implements ResourceLog {
  readonly items: Leftovers = emptyLeftovers()
  constructor(private readonly persist: (l: Leftovers) => void = () => undefined) {}
  add(kind: keyof Leftovers, value: string): void {
    if (!this.items[kind].includes(value)) this.items[kind].push(value)
    this.persist(this.items)
  }
  forget(kind: keyof Leftovers, value: string): void {
    this.items[kind] = this.items[kind].filter((v) => v !== value)
    this.persist(this.items)
  }
}

/** Removes containers (running or not), image tags and directories. Never throws; returns what it could not remove. */
export async function removeLeftovers(l: Leftovers): Promise<string[]> {
  const problems: string[] = []
  if (l.containers.length) {
    const r = await docker(['rm', '--force', '--volumes', ...l.containers], { allowFailure: true, timeoutMs: 120_000, cleanup: true })
    if (r.exitCode !== 0 && !/No such container/i.test(r.stderr)) problems.push(`containers: ${r.stderr.trim()}`)
  }
  for (const image of l.images) {
    const r = await docker(['image', 'rm', '--no-prune', image], { allowFailure: true, timeoutMs: 120_000, cleanup: true })
    if (r.exitCode !== 0 && !/No such image/i.test(r.stderr)) {
      const forced = await docker(['image', 'rm', '--force', '--no-prune', image], { allowFailure: true, timeoutMs: 120_000, cleanup: true })
      if (forced.exitCode !== 0 && !/No such image/i.test(forced.stderr)) problems.push(`${image}: ${forced.stderr.trim()}`)
    }
  }
  for (const dir of l.dirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true })
    } catch (e) {
      problems.push(`${dir}: ${(e as Error).message}`)
    }
  }
  return problems
}

/** A cancelled run: start nothing new, stop the commands still running (a build would load its image afterwards), then remove the leftovers. */
export async function cancelRun(l: Leftovers): Promise<string[]> {
  await cancelCommands()
  return removeLeftovers(l)
}
