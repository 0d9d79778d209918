/**
 * A typed fake of src/docker/exec.ts, for `jest.unstable_mockModule('…/src/docker/exec.js', () => fake)`: the same
 * exported names and types, the pure ones re-exported from the real module. No process is started: every command
 * is recorded (argument arrays, in the order jest numbers all mock calls) and answered by the scripted engine
 * (docker-engine.ts). Cancellation behaves as the real layer's: once cancelled, a command that is not a cleanup
 * is refused with CancelledError, and commands in flight end as killed.
 */
import { jest } from '@jest/globals'
import { PassThrough } from 'node:stream'
import type * as exec from '../src/docker/exec.js'
import { CancelledError, CommandError, readStreamed } from '../src/docker/exec.js'
import { DockerEngine, defaultScript, type Answer, type EngineScript } from './docker-engine.js'

export { CancelledError, CommandError, lastErrorLine, readStreamed, TailBuffer } from '../src/docker/exec.js'
export type { RunOptions, RunResult, StreamedProcess } from '../src/docker/exec.js'

/** One command as the fake saw it. */
export interface Call {
  command: string
  args: readonly string[]
  /** Jest's invocation order of the call: comparable with the `invocationCallOrder` of any other mock. */
  order: number
  /** Run as a cleanup (`cleanup: true`): allowed after a cancellation. */
  cleanup: boolean
  streaming: boolean
  /** Set once the command has ended. */
  exitCode?: number
  done: boolean
  /** Ticks of the fake's own clock when it began and ended: two calls overlap when each began before the other ended. */
  begun: number
  ended?: number
}

/** Whether two commands were running at the same time. */
export function overlap(a: Call, b: Call): boolean {
  return a.begun < (b.ended ?? Infinity) && b.begun < (a.ended ?? Infinity)
}

type Hold = (call: Call) => Promise<void> | void

const KILLED: Answer = { exitCode: 143, stdout: '', stderr: '' }

class FakeExec {
  /** The engine's state and its script; replaced by `reset`. */
  docker = new DockerEngine()
  /** Commands that ran, in the order they started. */
  readonly calls: Call[] = []
  /** Commands refused because the run was cancelled. */
  readonly refused: Call[] = []
  /** Commands the fake has no answer for (a test should see none). */
  readonly unscripted: Call[] = []
  cancelled = false
  observer: ((line: string) => void) | undefined
  private hold: Hold | undefined
  private readonly kills = new Map<Call, () => void>()
  private readonly waiters: { match: (c: Call) => boolean; resolve: (c: Call) => void; when: 'begun' | 'ended' }[] = []
  private tick = 0
  private readonly peaks = new Map<(c: Call) => boolean, number>()

  /** A fresh engine for the next test: no images, containers, calls, hold or cancellation. */
  reset(script: Partial<EngineScript> = {}): void {
    this.docker = new DockerEngine(defaultScript(script))
    this.calls.length = 0
    this.refused.length = 0
    this.unscripted.length = 0
    this.cancelled = false
    this.observer = undefined
    this.hold = undefined
    this.kills.clear()
    this.waiters.length = 0
    this.tick = 0
    this.peaks.clear()
    for (const m of [run, docker, runStreaming]) m.mockClear()
  }

  /** Makes every command wait for `fn(call)` before it is answered (ordering, barriers); undefined removes it. */
  holdCommands(fn: Hold | undefined): void {
    this.hold = fn
  }

  /** Argument arrays of the docker commands that ran. */
  commands(match: (args: readonly string[]) => boolean = () => true): (readonly string[])[] {
    return this.calls.filter((c) => c.command === 'docker' && match(c.args)).map((c) => c.args)
  }

  /** Resolves once a command matching `match` has begun (at once if one has). */
  seen(match: (c: Call) => boolean): Promise<Call> {
    const found = this.calls.find(match)
    return found ? Promise.resolve(found) : new Promise((resolve) => this.waiters.push({ match, resolve, when: 'begun' }))
  }

  /** Resolves once a command matching `match` has ended (at once if one has). */
  ended(match: (c: Call) => boolean): Promise<Call> {
    const found = this.calls.find((c) => c.done && match(c))
    return found ? Promise.resolve(found) : new Promise((resolve) => this.waiters.push({ match, resolve, when: 'ended' }))
  }

  private wake(call: Call, when: 'begun' | 'ended'): void {
    for (const w of this.waiters.filter((w) => w.when === when && w.match(call))) {
      this.waiters.splice(this.waiters.indexOf(w), 1)
      w.resolve(call)
    }
  }

  /** The most commands matching `match` that were running at the same time, over the calls so far. */
  maxInFlight(match: (c: Call) => boolean): number {
    return this.peaks.get(match) ?? 0
  }

  /** Starts counting how many commands matching `match` run at once (before the run; `reset` forgets it). */
  watch(match: (c: Call) => boolean): (c: Call) => boolean {
    this.peaks.set(match, 0)
    return match
  }

  /** Records a command, or refuses it as the real layer does once the run is cancelled. */
  begin(command: string, args: readonly string[], order: number, options: { cleanup?: boolean }, streaming: boolean): Call {
    const call: Call = { command, args: [...args], order, cleanup: options.cleanup === true, streaming, done: false, begun: ++this.tick }
    if (this.cancelled && !call.cleanup) {
      this.refused.push(call)
      throw new CancelledError(command, args)
    }
    this.observer?.(`$ ${command} ${args.join(' ')}`)
    this.calls.push(call)
    for (const m of this.peaks.keys()) {
      const running = this.calls.filter((c) => !c.done && m(c)).length
      this.peaks.set(m, Math.max(this.peaks.get(m) ?? 0, running))
    }
    this.wake(call, 'begun')
    return call
  }

  finish(call: Call, exitCode: number): void {
    call.exitCode = exitCode
    call.done = true
    call.ended = ++this.tick
    this.wake(call, 'ended')
  }

  /**
   * Waits for the hold (if any), then `work` gives the answer; a kill ends the wait at once with `killed` (the
   * work learns it from `signal`, set before anything else runs).
   */
  async held<T>(call: Call, killed: T, work: (signal: { killed: boolean }) => Promise<T>): Promise<T> {
    const signal = { killed: false }
    let kill: () => void = () => undefined
    const stopped = new Promise<T>((resolve) => {
      kill = () => {
        signal.killed = true
        resolve(killed)
      }
    })
    const answer = async (): Promise<T> => {
      await this.hold?.(call)
      // Answered on a later turn, as a process's output comes: commands running at once interleave.
      await new Promise((resolve) => setImmediate(resolve))
      return work(signal)
    }
    this.kills.set(call, kill)
    try {
      return await Promise.race([stopped, answer()])
    } finally {
      this.kills.delete(call)
    }
  }

  /** Ends a command in flight as killed. */
  kill(call: Call): void {
    this.kills.get(call)?.()
  }

  /** Ends every command in flight as killed. */
  killAll(): void {
    for (const kill of [...this.kills.values()]) kill()
  }
}

/** The fake engine and its record; `engine.docker.script` says how it behaves. */
export const engine = new FakeExec()

function orderOf(mock: { mock: { invocationCallOrder: number[] } }): number {
  return mock.mock.invocationCallOrder.at(-1) ?? 0
}

export const run = jest.fn<typeof exec.run>(async (command, args, options = {}) => {
  const call = engine.begin(command, args, orderOf(run), options, false)
  const answer = await engine.held(call, KILLED, async () => {
    if (command !== 'docker') return undefined
    return engine.docker.answer(args, options.timeoutMs)
  })
  const known = answer ?? (engine.unscripted.push(call), { exitCode: 125, stdout: '', stderr: `fake engine: no answer for ${command} ${args.join(' ')}\n` })
  for (const chunk of known.chunks ?? []) options.onOutput?.(Buffer.from(chunk))
  engine.finish(call, known.exitCode)
  const result = {
    exitCode: known.exitCode,
    stdout: known.stdout,
    stderr: known.stderr,
    timedOut: known.timedOut === true,
    durationMs: known.timedOut ? (options.timeoutMs ?? 0) : 1
  }
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(command, args, result)
  return result
})

export const docker = jest.fn<typeof exec.docker>((args, options) => run('docker', args, options))

/** Resolves when `stream` emits `event`, closes or fails (its reader gave up): never rejects. */
function when(stream: PassThrough, event: string): Promise<void> {
  return new Promise((resolve) => {
    for (const e of [event, 'close', 'error']) stream.once(e, () => resolve())
  })
}

/** Bytes written to a stream's reader at a time. */
const STREAM_CHUNK = 16 * 1024

export const runStreaming = jest.fn<typeof exec.runStreaming>((command, args) => {
  const call = engine.begin(command, args, orderOf(runStreaming), {}, true)
  const stdout = new PassThrough()
  // A cancellation stops it with SIGTERM (143), its reader's kill() with SIGKILL (137).
  let exitOnKill = 143
  const finished = engine
    .held(call, undefined, async (killed) => {
      const save = command === 'docker' && (args[0] === 'save' || (args[0] === 'image' && args[1] === 'save'))
      if (!save) return { exitCode: 125, stderr: `fake engine: no stream for ${command} ${args.join(' ')}\n` }
      const archive = await engine.docker.save(args.at(-1)!)
      if (!archive) return { exitCode: 1, stderr: `Error response from daemon: No such image: ${args.at(-1)}\n` }
      // Like a process writing to a pipe: as fast as its reader takes it; it has exited once the reader has it all.
      const drained = when(stdout, 'end')
      for (let at = 0; at < archive.length && !killed.killed && !stdout.destroyed; at += STREAM_CHUNK) {
        if (!stdout.write(archive.subarray(at, at + STREAM_CHUNK))) await when(stdout, 'drain')
      }
      if (killed.killed) return undefined
      stdout.end()
      await drained
      return { exitCode: 0, stderr: '' }
    })
    .then((r) => {
      // Killed: the reader gets what was written, then the end of the stream, as from a process that died.
      const result = r ?? { exitCode: exitOnKill, stderr: '' }
      if (result.exitCode === 125) engine.unscripted.push(call)
      if (!stdout.writableEnded) stdout.end()
      engine.finish(call, result.exitCode)
      return result
    })
  return {
    stdout,
    finished,
    kill: () => {
      exitOnKill = 137
      engine.kill(call)
    }
  }
})

/** The real reading and failure rules, over the fake process. */
export const readStreaming: typeof exec.readStreaming = (command, args, read, discard) =>
  readStreamed(runStreaming(command, args), command, args, read, discard)

export const observeCommands: typeof exec.observeCommands = (fn) => {
  engine.observer = fn
}
export const isCancelled: typeof exec.isCancelled = () => engine.cancelled
export const resetCancellation: typeof exec.resetCancellation = () => {
  engine.cancelled = false
}
export const stopRunningCommands: typeof exec.stopRunningCommands = async () => {
  engine.killAll()
}
export const cancelCommands: typeof exec.cancelCommands = async () => {
  engine.cancelled = true
  engine.killAll()
}
