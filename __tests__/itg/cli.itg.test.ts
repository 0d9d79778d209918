/**
 * The command line on the real engine: the bundled dist/cli/index.js when it is built, else the
 * sources through tsx. Exit codes, the table, the diagnosis, --json, bad values, cleanup on Ctrl-C.
 */
import { describe, it, expect } from '@jest/globals'
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT } from '../support/action.js'
import { dockerOut, imageStore } from '../support/docker.js'

const BUNDLE = path.join(ROOT, 'dist/cli/index.js')
const COMMAND = fs.existsSync(BUNDLE) ? [BUNDLE] : ['--import', 'tsx', path.join(ROOT, 'src/cli.ts')]

interface CliRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs the command in the repository root, in a process group of its own. `interruptWhen` sends
 * SIGINT to the whole group once stderr matches, as Ctrl-C in a terminal does.
 */
function cli(args: string[], interruptWhen?: RegExp): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...COMMAND, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    })
    let stdout = ''
    let stderr = ''
    let interrupted = false
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
      if (interruptWhen && !interrupted && interruptWhen.test(stderr)) {
        interrupted = true
        process.kill(-(child.pid as number), 'SIGINT')
      }
    })
    child.on('error', reject)
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }))
  })
}

/** The run's id, from a temporary tag named in its log (`smokestack-local/<id>:<platform>`). */
function runIdIn(text: string): string {
  const id = /smokestack-local\/([0-9a-f-]+):/.exec(text)?.[1]
  if (!id) throw new Error(`no temporary tag in:\n${text}`)
  return id
}

/** What the run left in the engine: its containers and temporary tags. Other runs may share the engine. */
function leftBehind(runId: string): string[] {
  const containers = dockerOut(['ps', '-a', '--filter', `name=smokestack-${runId}`, '--format', '{{.Names}}'])
  const images = dockerOut(['image', 'ls', '--filter', `reference=smokestack-local/${runId}`, '--format', '{{.Repository}}:{{.Tag}}'])
  return [...containers.split('\n'), ...images.split('\n')].filter(Boolean)
}

describe(`smokestack command line (${COMMAND.at(-1)})`, () => {
  it('passes examples/hello-go: exit 0, progress on stderr, the table on stdout, no log', async () => {
    const run = await cli(['examples/hello-go'])
    expect(run.stderr).not.toMatch(/^::/m)
    expect(run.exitCode).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines[0].split(/\s{2,}/)).toEqual(['Platform', 'Result', 'Disk size', 'Compressed', 'Layers', 'Start', 'Build', 'Check'])
    const row = lines[1].split(/\s{2,}/)
    expect(row.slice(0, 2)).toEqual(['linux/amd64', '✔ passed'])
    expect(row[2]).toMatch(/^\d+(\.\d)? MB$/)
    expect(row[5]).toBe('exited 0')
    expect(run.stdout).toContain('✔ 1/1 platform passed')
    expect(run.stdout).not.toContain('\x1b[')
    expect(run.stdout).not.toMatch(/^::/m)
    expect(run.stdout).not.toContain('Engine ')
    expect(run.stderr).toMatch(/linux\/amd64 {2}building…\nlinux\/amd64 {2}looking inside and starting…/)
    expect(run.stderr).toMatch(/linux\/amd64 {2}✔ passed \(build [\d.]+ s, check [\d.]+ s\)/)
    expect(run.stderr).not.toContain('Last lines of the log')
  })

  it('fails examples/hello-go-cgo with exit 1 and shows the diagnosis and its fix', async () => {
    const run = await cli(['examples/hello-go-cgo'])
    expect(run.exitCode).toBe(1)
    expect(run.stdout.split('\n')[1]).toMatch(/^linux\/amd64 +✘ failed .* did not start /)
    expect(run.stdout).toContain('exec /code/hellodocker-go: no such file or directory')
    expect(run.stdout).toMatch(/error missing-loader \/code\/hellodocker-go: .*ld-linux-x86-64\.so\.2/)
    expect(run.stdout).toMatch(/fix: .*CGO_ENABLED=0/)
    expect(run.stdout).toMatch(/Dockerfile advice \(\d+\)\n {2}warning cgo-on-musl examples\/hello-go-cgo\/Dockerfile:\d+:/)
    expect(run.stdout).toContain('✘ 1 of 1 platform failed: linux/amd64')
    expect(run.stderr).toContain('Last lines of the log')
    expect(run.stderr).toContain('Start: start-failed — exec /code/hellodocker-go: no such file or directory')
    expect(run.stderr).not.toMatch(/^ *::/m)
    expect(leftBehind(runIdIn(run.stderr))).toEqual([])
  })

  it('prints the results document with --json', async () => {
    const run = await cli(['--json', 'examples/hello-go', '--smoke-timeout', '20s'])
    expect(run.exitCode).toBe(0)
    const doc = JSON.parse(run.stdout) as {
      passed: boolean
      results: Record<string, { status: string; size: number; smoke: { outcome: string }; imageId: string; localRef: string }>
    }
    expect(doc.passed).toBe(true)
    expect(Object.keys(doc.results)).toEqual(['linux/amd64'])
    expect(doc.results['linux/amd64']).toMatchObject({ status: 'passed', smoke: { outcome: 'exited' } })
    expect(doc.results['linux/amd64'].size).toBeGreaterThan(1_000_000)
    expect(doc.results['linux/amd64'].imageId).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(leftBehind(runIdIn(doc.results['linux/amd64'].localRef))).toEqual([])
  })

  it('exits 2 on a bad value, naming the input, before touching the engine', async () => {
    const run = await cli(['examples/hello-go', '--max-size', '20XB'])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('Input "max-size": "20XB" is not a size')
    const platform = await cli(['examples/hello-go', '--platform', 'linux/sparc'])
    expect(platform.exitCode).toBe(2)
    expect(platform.stderr).toContain('Input "platforms": "linux/sparc" is not valid')
    const unknown = await cli(['examples/hello-go', '--max-sise', '20MB'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain("Unknown option '--max-sise'")
  })

  it('removes its containers, tags and directories when interrupted', async () => {
    const run = await cli(['examples/cross-compile', '--platform', 'linux/amd64,linux/arm64', '--no-cache', '--verbose'], /linux\/arm64 {2}building/)
    expect(run.exitCode).toBe(130)
    expect(run.stderr).toContain('cancelled (SIGINT)')
    expect(run.stdout).toBe('')
    const runId = runIdIn(run.stderr)
    expect(run.stderr).toContain(`smokestack-local/${runId}:${imageStore() === 'containerd' ? 'all' : 'linux-amd64'}`)
    expect(leftBehind(runId)).toEqual([])
  })
})
