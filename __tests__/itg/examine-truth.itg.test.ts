/**
 * Against the real engine: what the doctor says of links that loop, directories that are missing and
 * files used as directories is true of the image, on both readers, and agrees with what runc says.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { examineImage } from '../../src/verify/doctor.js'
import { runAction, ROOT } from '../support/action.js'
import { leftovers } from '../support/docker.js'

const ref = `smokestack-truth-test:${process.pid}`
let work: string
let before: ReturnType<typeof leftovers>

beforeAll(() => {
  before = leftovers()
  work = fs.mkdtempSync(path.join(ROOT, '.tmp-truth-'))
  fs.writeFileSync(
    path.join(work, 'Dockerfile'),
    'FROM alpine:3.12.2\nRUN ln -s /loop-a /loop-a && ln -s loop-c /loop-b && ln -s /loop-b /loop-c && ln -s /nowhere/x /dangling-dir\nENTRYPOINT ["/loop-a"]\n'
  )
  execFileSync('docker', ['buildx', 'build', '--load', '--provenance=false', '-t', ref, work], { stdio: 'ignore', timeout: 300_000 })
}, 300_000)

afterAll(() => {
  execFileSync('docker', ['image', 'rm', '-f', ref, ...derivedRefs], { stdio: 'ignore' })
  fs.rmSync(work, { recursive: true, force: true })
  expect(leftovers()).toEqual(before)
})

const derivedRefs: string[] = []

/** An image FROM the test image with another ENTRYPOINT. */
function derived(name: string, entrypoint: string): string {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${ref}\nENTRYPOINT ${JSON.stringify([entrypoint])}\n`)
  const image = `${ref}-${name}`
  execFileSync('docker', ['buildx', 'build', '--load', '--provenance=false', '-t', image, dir], { stdio: 'ignore', timeout: 300_000 })
  derivedRefs.push(image)
  return image
}

const messages = (r: Awaited<ReturnType<typeof examineImage>>): string[] => r.findings.filter((f) => f.severity === 'error').map((f) => f.message)

describe('the doctor on a real image', () => {
  it('calls a self-link a loop: the archive names it, the API says what the engine says, auto names it', async () => {
    const archive = await examineImage(ref, 'linux/amd64', { method: 'archive' })
    expect(messages(archive)).toEqual([
      'The entrypoint cannot be found: `/loop-a` cannot be resolved: too many levels of symbolic links (a loop: `/loop-a` → `/loop-a`).'
    ])
    const api = await examineImage(ref, 'linux/amd64', { method: 'api' })
    expect(messages(api)).toEqual(['The entrypoint cannot be found: `/loop-a` cannot be resolved: too many levels of symbolic links (from `/loop-a`).'])
    const auto = await examineImage(ref, 'linux/amd64')
    expect(messages(auto)).toEqual(messages(archive))
  }, 120_000)

  it('lists both links of a two-link loop; names a missing directory and a file used as a directory, on both readers', async () => {
    const cases: Array<[string, string, string]> = [
      [
        'loop-b',
        '/loop-b',
        'The entrypoint cannot be found: `/loop-b` cannot be resolved: too many levels of symbolic links (a loop: `/loop-b` → `loop-c`, `/loop-c` → `/loop-b`).'
      ],
      ['missing-dir', '/app/hello', 'The entrypoint cannot be found: `/app/hello` does not exist in the image (`/app` does not exist).'],
      [
        'dangling-dir',
        '/dangling-dir/y',
        'The entrypoint cannot be found: `/dangling-dir/y` does not exist in the image (following `/dangling-dir` → `/nowhere/x`: `/nowhere` does not exist).'
      ],
      ['not-dir', '/etc/passwd/x', 'The entrypoint cannot be found: `/etc/passwd/x` cannot be reached: `/etc/passwd` is not a directory.']
    ]
    for (const [name, entrypoint, says] of cases) {
      const image = derived(name, entrypoint)
      const methods = name.startsWith('loop') ? (['archive', 'auto'] as const) : (['api', 'archive'] as const)
      for (const method of methods) expect([method, messages(await examineImage(image, 'linux/amd64', { method }))]).toEqual([method, [says]])
    }
  }, 300_000)

  it('fails the start of a looping entrypoint with runc’s words and the loop named', async () => {
    const run = await runAction({ inputs: { context: path.relative(ROOT, work) } })
    expect(run.exitCode).toBe(1)
    const r = JSON.parse(run.outputs.results)['linux/amd64']
    expect(r.smoke.outcome).toBe('start-failed')
    expect(r.smoke.message).toBe('exec /loop-a: too many levels of symbolic links')
    expect(r.error).toContain('means a symbolic link on the way to the program')
    expect(r.error).toContain('a loop: `/loop-a` → `/loop-a`')
  }, 600_000)
})
