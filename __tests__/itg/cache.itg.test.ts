/**
 * BuildKit's cache kept between two runs through the cache service: a real `docker buildx build` of a
 * small Go project on the engine at /var/run/docker.sock (containerd image store), the engine's build
 * cache emptied between the runs, and the local cache service standing in for GitHub's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { docker } from '../../src/docker/exec.js'
import { inspectEngine } from '../../src/docker/engine.js'
import { hashBuildInputs, planCache, restoreBuildCache, saveBuildCache, type EnabledCachePlan } from '../../src/cache/index.js'
import * as core from '@actions/core'
import { actionsCacheStore } from '../../src/action/cache-store.js'

/** The cache's messages as workflow commands on stdout, as the action writes them. */
const coreLog = { info: (m: string) => core.info(m), warning: (m: string) => core.warning(m) }
import { CacheServer } from '../support/cache-server.js'

const PLATFORM = 'linux/amd64'
const TEST_TIMEOUT_MS = 15 * 60_000
let server: CacheServer
let work: string
let context: string
const savedEnv = { ...process.env }

const DOCKERFILE = `FROM golang:1.15 AS build
WORKDIR /src
COPY go.mod ./
RUN go mod download
COPY main.go ./
RUN CGO_ENABLED=0 go build -o /out/app .

FROM alpine:3.12.2
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`

async function writeProject(dir: string, greeting: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'Dockerfile'), DOCKERFILE)
  await writeFile(path.join(dir, 'go.mod'), 'module example.com/cachetest\n\ngo 1.15\n')
  await writeFile(path.join(dir, 'main.go'), `package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(${JSON.stringify(greeting)}) }\n`)
}

/** One run of the workflow: plan, restore, build with the plan's flags, save. */
async function runOnce(): Promise<{ plan: EnabledCachePlan; hit: string; saved: boolean; log: string }> {
  const engine = await inspectEngine()
  const hashes = await hashBuildInputs(path.join(context, 'Dockerfile'), context)
  const plan = planCache({
    mode: 'auto',
    extraKey: '',
    inActions: true,
    serviceAvailable: true,
    driver: 'docker',
    containerdStore: engine.containerdStore,
    os: 'Linux',
    platforms: [PLATFORM],
    dockerfileHash: hashes.dockerfileHash,
    lockfilesHash: hashes.lockfilesHash,
    tempDir: path.join(work, 'runner-temp')
  })
  if (!plan.enabled) throw new Error(plan.reason)
  const restored = await restoreBuildCache(plan, actionsCacheStore(), coreLog)
  const build = await docker(['buildx', 'build', '--progress', 'plain', '--platform', PLATFORM, '--output', 'type=cacheonly', ...plan.buildArgs, context], {
    timeoutMs: 10 * 60_000
  })
  expect(existsSync(path.join(plan.saveDir, 'index.json'))).toBe(true)
  const saved = await saveBuildCache(plan, restored.hit, actionsCacheStore(), coreLog)
  return { plan, hit: restored.hit, saved: saved.saved, log: build.stderr + build.stdout }
}

/** Whether the build step whose title matches was answered from the cache, in `--progress plain` output. */
function stepCached(log: string, title: RegExp): boolean {
  const step = log
    .split('\n')
    .map((line) => /^#(\d+) \[.*?\] (.*)$/.exec(line))
    .find((m) => m && title.test(m[2]))
  if (!step) throw new Error(`no build step matching ${title} in:\n${log}`)
  return new RegExp(`^#${step[1]} CACHED$`, 'm').test(log)
}

async function emptyEngineBuildCache(): Promise<void> {
  await docker(['builder', 'prune', '-af'], { timeoutMs: 5 * 60_000 })
}

// Cache export needs the containerd image store with the docker driver; the test command runs this
// file on that store (the classic store's refusal is covered in cache-action.itg.test.ts).
const containerdStore = /snapshotter/.test(execFileSync('docker', ['info', '--format', '{{json .DriverStatus}}'], { encoding: 'utf8' }))
const onContainerd = containerdStore ? describe : describe.skip

beforeAll(async () => {
  if (!containerdStore) return
  server = await CacheServer.start()
  for (const [key, value] of Object.entries(server.env('v2'))) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  work = await mkdtemp(path.join(tmpdir(), 'cache-itg-'))
  context = path.join(work, 'project')
  await mkdir(path.join(work, 'workspace'))
  process.env.GITHUB_WORKSPACE = path.join(work, 'workspace')
  process.env.RUNNER_TEMP = path.join(work, 'runner-temp')
  delete process.env.GITHUB_SERVER_URL
  await writeProject(context, 'hello from the first run')
}, TEST_TIMEOUT_MS)

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key]
  Object.assign(process.env, savedEnv)
  await server?.stop()
  if (work) await rm(work, { recursive: true, force: true })
}, TEST_TIMEOUT_MS)

onContainerd('build cache through the cache service', () => {
  it(
    'saves the first build and answers the second from the restored cache',
    async () => {
      await emptyEngineBuildCache()
      const first = await runOnce()
      expect(first.hit).toBe('false')
      expect(first.saved).toBe(true)
      expect(stepCached(first.log, /go build -o/)).toBe(false)

      // A new runner: nothing on disk, nothing in the engine's build cache.
      await emptyEngineBuildCache()
      await rm(path.join(work, 'runner-temp'), { recursive: true, force: true })

      const second = await runOnce()
      expect(second.plan.key).toBe(first.plan.key)
      expect(second.hit).toBe('true')
      expect(stepCached(second.log, /go mod download/)).toBe(true)
      expect(stepCached(second.log, /go build -o/)).toBe(true)
      // The exact key is already stored; nothing more to save.
      expect(second.saved).toBe(false)
    },
    TEST_TIMEOUT_MS
  )

  it(
    'after a source change restores the same key and rebuilds only what changed',
    async () => {
      await emptyEngineBuildCache()
      await rm(path.join(work, 'runner-temp'), { recursive: true, force: true })
      await writeProject(context, 'hello from a changed source')
      const run = await runOnce()
      expect(run.hit).toBe('true')
      expect(stepCached(run.log, /go mod download/)).toBe(true)
      expect(stepCached(run.log, /go build -o/)).toBe(false)
    },
    TEST_TIMEOUT_MS
  )
})
