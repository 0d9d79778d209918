import { describe, it, expect } from '@jest/globals'
import { lastErrorLine, run, CommandError, stopRunningCommands } from '../../../src/docker/exec.js'

describe('lastErrorLine', () => {
  it('prefers the last ERROR line of a tool', () => {
    const stderr = '#1 building\nERROR: failed to solve: stage "nope" not found\n#2 done\n'
    expect(lastErrorLine(stderr)).toBe('ERROR: failed to solve: stage "nope" not found')
  })
  it("takes the daemon's error, not the CLI's pointer to --help", () => {
    const stderr =
      "Unable to find image 'nope:latest' locally\ndocker: Error response from daemon: pull access denied for nope, repository does not exist.\nRun 'docker run --help' for more information\n"
    expect(lastErrorLine(stderr)).toBe('docker: Error response from daemon: pull access denied for nope, repository does not exist.')
  })
  it('falls back to the last non-empty line', () => {
    expect(lastErrorLine('first\nsecond\n\n')).toBe('second')
    expect(lastErrorLine('')).toBe('no output')
  })
})

describe('run', () => {
  it('passes arguments without a shell', async () => {
    const r = await run('printf', ['%s|', 'a b', '$HOME', '; echo x'])
    expect(r.stdout).toBe('a b|$HOME|; echo x|')
  })
  it('throws a CommandError carrying the last error line', async () => {
    await expect(run('sh', ['-c', 'echo boom >&2; exit 3'])).rejects.toThrow(CommandError)
    await expect(run('sh', ['-c', 'echo boom >&2; exit 3'])).rejects.toThrow(/exit 3\): boom/)
  })
  it('kills a command at its timeout', async () => {
    const r = await run('sleep', ['5'], { timeoutMs: 200, allowFailure: true })
    expect(r.timedOut).toBe(true)
    expect(r.durationMs).toBeLessThan(3000)
  })
  it('names a missing command', async () => {
    await expect(run('no-such-tool-xyz', [])).rejects.toThrow(/no-such-tool-xyz was not found/)
  })
})

describe('stopRunningCommands', () => {
  it('stops what is running, with SIGKILL for a command that ignores SIGTERM', async () => {
    const started = Date.now()
    const polite = run('sleep', ['30'], { allowFailure: true })
    const stubborn = run('sh', ['-c', 'trap "" TERM; sleep 30 & wait; sleep 30'], { allowFailure: true })
    await new Promise((r) => setTimeout(r, 200))
    await stopRunningCommands(500)
    const [a, b] = await Promise.all([polite, stubborn])
    expect(a.exitCode).toBe(128 + 15)
    expect(b.exitCode).toBe(128 + 9)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
