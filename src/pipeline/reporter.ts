/**
 * What the pipeline tells its front end, and what it is given about where it runs. The core knows nothing of
 * the Actions runner or of a terminal: the action renders these events as log groups and annotations, the
 * command line as live progress.
 */
import type { Finding } from '../types.js'
import type { BuildCacheStore } from '../cache/index.js'
import type { PlatformOutcome } from './outcomes.js'

/** The per-platform steps, in the order they run. */
export type Step = 'build' | 'check' | 'test' | 'size'

export const STEP_TITLES: Readonly<Record<Step, string>> = {
  build: 'build',
  check: 'look inside and start',
  test: 'test command',
  size: 'size'
}

/** The steps in the order a platform's log shows them. */
export const STEP_ORDER: readonly Step[] = ['build', 'check', 'test', 'size']

export interface Reporter {
  /** A phase that concerns the whole run (engine, Dockerfile, QEMU, build, publish): its messages belong to it. */
  phase<T>(title: string, work: () => Promise<T>): Promise<T>
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** A value that must never appear in any log (a build secret). */
  secret(value: string): void
  /** The Dockerfile advice, once, before anything is built. */
  advice(findings: readonly Finding[]): void
  /** A platform's step began. */
  stepStarted(platform: string, step: Step): void
  /** A platform's step ended; `log` is what it has to say, `outcome` everything known of the platform so far. */
  stepFinished(platform: string, step: Step, log: readonly string[], outcome: PlatformOutcome): void
  /** A platform is done: no step of it follows. */
  platformDone(outcome: PlatformOutcome): void
}

/** Resources the run creates, recorded before they exist so that a cleanup finds them whatever happens. */
export interface ResourceLog {
  add(kind: 'containers' | 'images' | 'dirs', value: string): void
  forget(kind: 'containers' | 'images' | 'dirs', value: string): void
}

/** Where the pipeline runs. */
export interface RunEnv {
  /** The workspace: relative paths of the inputs and of the advice are relative to it. */
  workspace: string
  /** A directory for the run's own temporary directory (the runner's RUNNER_TEMP, else the system's). */
  tempRoot: string
  /** Unique per run: names containers and temporary tags. */
  runId: string
  /** Running inside GitHub Actions. */
  inActions: boolean
  /** The Actions cache, when the front end provides one. */
  cacheStore?: BuildCacheStore
  /** The environment: the cache service's variables, the job's cache mode. */
  vars: Readonly<Record<string, string | undefined>>
  resources: ResourceLog
}
