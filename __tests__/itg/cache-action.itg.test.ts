/**
 * The bundled action keeps BuildKit's cache between runs through a real (local) cache service, and a
 * failing service never fails a build. On the classic image store the cache is off, explained once.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { runAction, ROOT, type ActionRun } from '../support/action.js'
import { imageStore, leftovers } from '../support/docker.js'
import { CacheServer } from '../support/cache-server.js'

const store = imageStore()
let server: CacheServer
let project: string
let runnerTemp: string
let before: ReturnType<typeof leftovers>

/** The example's build, with a unique greeting so no earlier run's cache can serve it. */
function writeProject(dir: string, greeting: string): void {
  fs.mkdirSync(dir, { recursive: true })
  fs.copyFileSync(path.join(ROOT, 'examples/cross-compile/Dockerfile'), path.join(dir, 'Dockerfile'))
  fs.copyFileSync(path.join(ROOT, 'examples/cross-compile/go.mod'), path.join(dir, 'go.mod'))
  fs.writeFileSync(path.join(dir, 'main.go'), `package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(${JSON.stringify(greeting)}) }\n`)
}

function pruneBuildCache(): void {
  execFileSync('docker', ['builder', 'prune', '--all', '--force'], { stdio: 'ignore' })
}

/** True when the log shows the `go build` step answered from cache. */
/** Every `go build` step of the build log (one per platform, in one solve or in several) was taken from the cache. */
function goBuildCached(run: ActionRun): boolean {
  const log = run.stdout.replace(/^::debug::/gm, '')
  const steps = [...log.matchAll(/^#(\d+) \[(?:[^\]]* )?build_bin \d+\/\d+\] RUN CGO_ENABLED=0/gm)].map((m) => m[1])
  return steps.length > 0 && steps.every((step) => new RegExp(`^#${step} CACHED`, 'm').test(log))
}

async function build(env: Record<string, string | undefined>, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    inputs: { context: path.relative(ROOT, project), platforms: 'linux/amd64,linux/arm64', ...inputs },
    runnerTemp,
    env: { RUNNER_DEBUG: '1', ...(env as Record<string, string>) }
  })
}

beforeAll(async () => {
  before = leftovers()
  server = await CacheServer.start()
  project = fs.mkdtempSync(path.join(ROOT, '.tmp-cache-'))
  runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
})
afterAll(async () => {
  await server.stop()
  fs.rmSync(project, { recursive: true, force: true })
  fs.rmSync(runnerTemp, { recursive: true, force: true })
  expect(leftovers()).toEqual(before)
})

const onContainerd = store === 'containerd' ? describe : describe.skip
const onClassic = store === 'classic' ? describe : describe.skip

onContainerd('build cache on the containerd image store', () => {
  it.each(['v1', 'v2'] as const)('restores and hits the cache on the second run (%s protocol)', async (protocol) => {
    writeProject(project, `cache ${protocol} ${Date.now()}`)
    pruneBuildCache()
    const first = await build(server.env(protocol), { 'cache-key': protocol })
    expect(first.exitCode).toBe(0)
    expect(first.outputs['cache-hit']).toBe('false')
    expect(goBuildCached(first)).toBe(false)
    pruneBuildCache()
    const second = await build(server.env(protocol), { 'cache-key': protocol })
    expect(second.exitCode).toBe(0)
    expect(second.outputs['cache-hit']).toBe('true')
    expect(goBuildCached(second)).toBe(true)
    expect(second.leftoverFiles).toEqual([])
  })

  it.each(['error500', 'down', 'hang'] as const)('builds with a warning when the service is %s', async (fault) => {
    writeProject(project, `fault ${fault} ${Date.now()}`)
    await server.setFault(fault)
    try {
      const run = await build(server.env('v1'), { 'cache-key': fault, 'cache-timeout': '5s' })
      expect(run.exitCode).toBe(0)
      expect(run.annotations.some((a) => a.level === 'warning' && /cache/i.test(a.message))).toBe(true)
      expect(run.durationMs).toBeLessThan(120_000)
      expect(JSON.parse(run.outputs.results)['linux/arm64'].status).toBe('passed')
      expect(run.leftoverFiles).toEqual([])
    } finally {
      await server.setFault('none')
    }
  })
})

onClassic('build cache on the classic image store', () => {
  it('is off, says why in one line, and the build passes', async () => {
    writeProject(project, `classic ${Date.now()}`)
    const run = await build(server.env('v1'))
    expect(run.exitCode).toBe(0)
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('Build cache is off'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/classic image store cannot export cache; enable the containerd image store/)
    expect(run.outputs['cache-hit']).toBe('')
  })
})
