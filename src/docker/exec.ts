/**
 * The one thin layer of process calls. Every other module builds argument arrays (pure functions)
 * and hands them here; nothing goes through a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as core from '@actions/core'

export interface RunOptions {
  /** Text written to the child's stdin. */
  input?: string | Buffer
  /** Kill the child after this many milliseconds (SIGKILL); the result then has `timedOut`. */
  timeoutMs?: number
  /** Do not throw on a non-zero exit. */
  allowFailure?: boolean
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Stream the child's output to ours as it comes (long builds). */
  echo?: boolean
  /** Keep at most this many bytes of each of stdout and stderr (the tail). Default 8 MiB. */
  maxOutputBytes?: number
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

/** The line a person wants to read from a failed tool's output: its last non-empty line, preferring `ERROR`/`error:` lines. */
export function lastErrorLine(stderr: string, stdout = ''): string {
  const lines = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  const marked = lines.filter((l) => /^(ERROR|error:|Error response|Error:)/i.test(l) || /\bERROR:/.test(l))
  return (marked.at(-1) ?? lines.at(-1) ?? 'no output').slice(0, 2000)
}

class TailBuffer {
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

export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  core.debug(`$ ${command} ${args.map(quoteForLog).join(' ')}`)
  const started = Date.now()
  const max = options.maxOutputBytes ?? 8 * 1024 * 1024
  const stdout = new TailBuffer(max)
  const stderr = new TailBuffer(max)
  const result = await new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a timeout or a cancellation stops what it started too (a CLI plugin, say).
      detached: true
    })
    running.add(child)
    let timedOut = false
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true
            killGroup(child, 'SIGKILL')
          }, options.timeoutMs)
        : undefined
    child.stdout.on('data', (c: Buffer) => {
      stdout.push(c)
      if (options.echo) process.stdout.write(c)
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr.push(c)
      if (options.echo) process.stdout.write(c)
    })
    child.on('error', (err: NodeJS.ErrnoException) => {
      running.delete(child)
      if (timer) clearTimeout(timer)
      reject(err.code === 'ENOENT' ? new Error(`${command} was not found on PATH: install it, or put it on PATH`) : err)
    })
    child.on('close', (code, signal) => {
      running.delete(child)
      if (timer) clearTimeout(timer)
      resolve({
        exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1),
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        timedOut,
        durationMs: Date.now() - started
      })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(command, args, result)
  return result
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
