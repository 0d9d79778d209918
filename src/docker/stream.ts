/**
 * A process whose standard output is read as a stream (e.g. `docker save`), for output too large
 * to buffer. Like `run`, it takes an argument array and never goes through a shell.
 */
import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import * as core from '@actions/core'

export interface StreamedProcess {
  stdout: Readable
  /** Resolves when the process has exited, with its exit code and the tail of its stderr. */
  finished: Promise<{ exitCode: number; stderr: string }>
  /** Stop the process (SIGKILL). */
  kill(): void
}

/** Start `command args…` and hand back its stdout as a stream. */
export function spawnStream(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): StreamedProcess {
  core.debug(`$ ${command} ${args.join(' ')}`)
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-16384)
  })
  const finished = new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error(`${command} was not found on PATH: install it, or put it on PATH`) : err)
    )
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 137 : 1), stderr }))
  })
  return {
    stdout: child.stdout,
    finished,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }
}
