/**
 * The one layer of process calls. Every other module builds argument arrays (pure functions) and hands them
 * here; nothing goes through a shell. Each command runs in its own process group and is registered while it
 * runs, so a cancellation stops it and everything it started; once cancelled, nothing new starts.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'

export interface RunOptions {
  /** Text written to the child's stdin. */
  input?: string | Buffer
  /** Kill the child after this many milliseconds (SIGKILL); the result then has `timedOut`. */
  timeoutMs?: number
  /** Do not throw on a non-zero exit. */
  allowFailure?: boolean
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Called with the child's output (stdout and stderr) as it comes, for a live log of long builds. */
  onOutput?: (chunk: Buffer) => void
  /** Keep at most this many bytes of each of stdout and stderr (the tail). Default 8 MiB. */
  maxOutputBytes?: number
  /** A cleanup (removing a container or a tag): it runs even after the run was cancelled. */
  cleanup?: boolean
}

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
  durationMs: number
}

/** A failing command, carrying the tool's own last error line. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: RunResult
  ) {
    super(`${command} ${args.slice(0, 3).join(' ')} failed (exit ${result.exitCode}): ${lastErrorLine(result.stderr, result.stdout)}`)
    this.name = 'CommandError'
  }
}

/** A command refused because the run was cancelled. */
export class CancelledError extends Error {
  constructor(command: string, args: readonly string[]) {
    super(`not started, the run was cancelled: ${command} ${args.slice(0, 3).join(' ')}`)
    this.name = 'CancelledError'
  }
}

/**
 * The line a person wants to read from a failed tool's output: its last non-empty line, preferring `ERROR`,
 * `error:` and the daemon's `Error response` lines, never the CLI's "Run '… --help' for more information".
 */
export function lastErrorLine(stderr: string, stdout = ''): string {
  const lines = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^Run '.*--help' for more information\.?$/.test(l))
  const marked = lines.filter((l) => /^(ERROR|error:|Error response|Error:)/i.test(l) || /\bERROR:|Error response from daemon/.test(l))
  return (marked.at(-1) ?? lines.at(-1) ?? 'no output').slice(0, 2000)
}

/** Keeps the last `max` bytes of a stream of chunks. */
export class TailBuffer {
  private chunks: Buffer[] = []
  private bytes = 0
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.bytes += chunk.length
    while (this.bytes > this.max && this.chunks.length > 1) this.bytes -= this.chunks.shift()!.length
  }
  toString(): string {
    const all = Buffer.concat(this.chunks)
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8')
  }
}

/** Commands still running: stopped when the run is cancelled, so none outlives it (a build would load its image later). */
const running = new Set<ChildProcess>()
let cancelled = false
let observer: ((commandLine: string) => void) | undefined

/** Sets who is told each command line before it runs (a debug log); `undefined` stops it. */
export function observeCommands(fn: ((commandLine: string) => void) | undefined): void {
  observer = fn
}

/** Whether the run was cancelled: then no command starts any more. */
export function isCancelled(): boolean {
  return cancelled
}

/** Lets commands start again (a new run in the same process, as in tests). */
export function resetCancellation(): void {
  cancelled = false
}

/** Signals a command and everything it started (each command runs in its own process group). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

/** Stops every command still running (SIGTERM, then SIGKILL after `graceMs`) and waits for them to exit. */
export async function stopRunningCommands(graceMs = 3000): Promise<void> {
  const children = [...running]
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const kill = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs)
          child.once('close', () => {
            clearTimeout(kill)
            resolve()
          })
          killGroup(child, 'SIGTERM')
        })
    )
  )
}

/** Cancels the run: nothing new starts, and what runs is stopped. */
export async function cancelCommands(graceMs = 3000): Promise<void> {
  cancelled = true
  await stopRunningCommands(graceMs)
}

function start(
  command: string,
  args: readonly string[],
  stdio: ['pipe' | 'ignore', 'pipe', 'pipe'],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; cleanup?: boolean }
): ChildProcess {
  if (cancelled && !options.cleanup) throw new CancelledError(command, args)
  observer?.(`$ ${command} ${args.map(quoteForLog).join(' ')}`)
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio,
    // Its own process group: a timeout or a cancellation stops what it started too (a CLI plugin, say).
    detached: true
  })
  running.add(child)
  child.once('close', () => running.delete(child))
  child.once('error', () => running.delete(child))
  return child
}

function notFound(command: string, err: NodeJS.ErrnoException): Error {
  return err.code === 'ENOENT' ? new Error(`${command} was not found on PATH: install it, or put it on PATH`) : err
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? (signal ? 128 + signalNumber(signal) : 1)
}

export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now()
  const max = options.maxOutputBytes ?? 8 * 1024 * 1024
  const stdout = new TailBuffer(max)
  const stderr = new TailBuffer(max)
  const child = start(command, args, ['pipe', 'pipe', 'pipe'], options)
  const result = await new Promise<RunResult>((resolve, reject) => {
    let timedOut = false
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true
            killGroup(child, 'SIGKILL')
          }, options.timeoutMs)
        : undefined
    child.stdout!.on('data', (c: Buffer) => {
      stdout.push(c)
      options.onOutput?.(c)
    })
    child.stderr!.on('data', (c: Buffer) => {
      stderr.push(c)
      options.onOutput?.(c)
    })
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer)
      reject(notFound(command, err))
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({ exitCode: exitCodeOf(code, signal), stdout: stdout.toString(), stderr: stderr.toString(), timedOut, durationMs: Date.now() - started })
    })
    child.stdin!.on('error', () => undefined)
    child.stdin!.end(options.input ?? '')
  })
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(command, args, result)
  return result
}

export interface StreamedProcess {
  stdout: Readable
  /** Resolves when the process has exited, with its exit code and the tail of its stderr. */
  finished: Promise<{ exitCode: number; stderr: string }>
  /** Stop the process and what it started (SIGKILL). */
  kill(): void
}

/** Starts `command args…` and hands back its stdout as a stream, for output too large to buffer (`docker save`). */
export function runStreaming(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): StreamedProcess {
  const child = start(command, args, ['ignore', 'pipe', 'pipe'], options)
  const stderr = new TailBuffer(16384)
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk))
  const finished = new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => reject(notFound(command, err)))
    child.on('close', (code, signal) => resolve({ exitCode: exitCodeOf(code, signal), stderr: stderr.toString() }))
  })
  return {
    stdout: child.stdout!,
    finished,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL')
    }
  }
}

/**
 * Runs `command args…` and hands its stdout to `read`, for output too large to buffer (`docker save`). A failing
 * command is a `CommandError` with its own last error line, also when `read` gave up first on what the failing
 * command left half-written; an error of `read` while the command said nothing wrong is thrown as it is.
 * `discard` releases what `read` made when the command fails after all.
 */
export function readStreaming<T>(command: string, args: readonly string[], read: (stdout: Readable) => Promise<T>, discard?: (value: T) => void): Promise<T> {
  return readStreamed(runStreaming(command, args), command, args, read, discard)
}

/** `readStreaming` of a process already started as `command args…`. */
export async function readStreamed<T>(
  streamed: StreamedProcess,
  command: string,
  args: readonly string[],
  read: (stdout: Readable) => Promise<T>,
  discard?: (value: T) => void
): Promise<T> {
  const failure = (ended: { exitCode: number; stderr: string }): CommandError =>
    new CommandError(command, args, { ...ended, stdout: '', timedOut: false, durationMs: 0 })
  let value: T
  try {
    value = await read(streamed.stdout)
  } catch (error) {
    streamed.kill()
    const ended = await streamed.finished.catch(() => undefined)
    if (ended && ended.exitCode !== 0 && ended.stderr.trim()) throw failure(ended)
    throw error
  }
  const ended = await streamed.finished
  if (ended.exitCode !== 0) {
    discard?.(value)
    throw failure(ended)
  }
  return value
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }
  return table[signal] ?? 0
}

function quoteForLog(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

/** `docker …` */
export function docker(args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run('docker', args, options)
}
