/**
 * Build cache kept between runs: a Go project for linux/amd64 and linux/arm64, cross-compiled from
 * $BUILDPLATFORM, built cold and then from a restored cache (unchanged sources, and a changed main.go).
 * The engine's build cache is emptied before every run, as on a fresh runner; the cache travels through
 * the local cache service (v2 protocol).
 *
 *   npx tsx bench/cache.ts
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { docker } from '../src/docker/exec.js'
import { inspectEngine } from '../src/docker/engine.js'
import { cacheArgsAfterRestore, hashBuildInputs, planCache, restoreBuildCache, saveBuildCache } from '../src/cache/index.js'
import * as core from '@actions/core'
import { actionsCacheStore } from '../src/action/cache-store.js'

/** The cache's messages as workflow commands on stdout, as the action writes them. */
const coreLog = { info: (m: string) => core.info(m), warning: (m: string) => core.warning(m) }
import { CacheServer } from '../__tests__/support/cache-server.js'

const PLATFORMS = ['linux/amd64', 'linux/arm64']
const IMAGE = `smokestack-bench-cache:${Date.now().toString(36)}`

const DOCKERFILE = `FROM --platform=$BUILDPLATFORM golang:1.15 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod ./
RUN go mod download
# The standard library for the target platform: the slow, rarely changing part.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build std
COPY main.go ./
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .

FROM alpine:3.12.2
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`

async function writeProject(dir: string, greeting: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'Dockerfile'), DOCKERFILE)
  await writeFile(path.join(dir, 'go.mod'), 'module example.com/benchcache\n\ngo 1.15\n')
  await writeFile(
    path.join(dir, 'main.go'),
    `package main\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc main() {\n\tfmt.Println(${JSON.stringify(greeting)}, http.StatusOK)\n}\n`
  )
}

interface RunTimes {
  hit: string
  restoreMs: number
  buildMs: number
  saveMs: number
  saved: boolean
  cacheBytes?: number
}

async function run(context: string, runnerTemp: string, containerdStore: boolean): Promise<RunTimes> {
  await docker(['builder', 'prune', '-af'], { timeoutMs: 5 * 60_000 })
  await rm(runnerTemp, { recursive: true, force: true })
  const hashes = await hashBuildInputs(path.join(context, 'Dockerfile'), context)
  const plan = planCache({
    mode: 'true',
    extraKey: '',
    inActions: true,
    serviceAvailable: true,
    driver: 'docker',
    containerdStore,
    os: 'Linux',
    platforms: PLATFORMS,
    dockerfileHash: hashes.dockerfileHash,
    lockfilesHash: hashes.lockfilesHash,
    tempDir: runnerTemp
  })
  if (!plan.enabled) throw new Error(plan.reason)

  let t = performance.now()
  const restored = await restoreBuildCache(plan, actionsCacheStore(), coreLog)
  const restoreMs = performance.now() - t

  t = performance.now()
  await docker(
    ['buildx', 'build', '--platform', PLATFORMS.join(','), '--output', `type=image,name=${IMAGE}`, ...cacheArgsAfterRestore(plan, restored.hit), context],
    {
      timeoutMs: 30 * 60_000
    }
  )
  const buildMs = performance.now() - t

  t = performance.now()
  const saved = await saveBuildCache(plan, restored.hit, actionsCacheStore(), coreLog)
  const saveMs = performance.now() - t
  return { hit: restored.hit, restoreMs, buildMs, saveMs, saved: saved.saved, cacheBytes: restored.bytes ?? saved.bytes }
}

function total(r: RunTimes): number {
  return r.restoreMs + r.buildMs + r.saveMs
}

function line(name: string, r: RunTimes): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`.padStart(8)
  const bytes = r.cacheBytes === undefined ? '' : `  cache ${(r.cacheBytes / 1e6).toFixed(1)} MB`
  return `${name.padEnd(26)} hit=${r.hit.padEnd(7)} restore ${s(r.restoreMs)}  build ${s(r.buildMs)}  save ${s(r.saveMs)}${r.saved ? ' (saved)' : ''}  total ${s(total(r))}${bytes}`
}

async function main(): Promise<void> {
  const engine = await inspectEngine()
  if (!engine.containerdStore)
    throw new Error('the docker driver exports cache only on the containerd image store: bash scripts/provision.sh --store containerd')
  const server = await CacheServer.start()
  Object.assign(process.env, server.env('v2'))
  delete process.env.ACTIONS_CACHE_URL
  delete process.env.GITHUB_SERVER_URL
  const work = await mkdtemp(path.join(tmpdir(), 'bench-cache-'))
  process.env.GITHUB_WORKSPACE = work
  process.env.RUNNER_TEMP = path.join(work, 'runner-temp')
  const context = path.join(work, 'project')
  const runnerTemp = path.join(work, 'runner-temp')
  try {
    await writeProject(context, 'hello')
    const cold = await run(context, runnerTemp, engine.containerdStore)
    const unchanged = await run(context, runnerTemp, engine.containerdStore)
    await writeProject(context, 'hello, changed')
    const changed = await run(context, runnerTemp, engine.containerdStore)

    console.log(`platforms: ${PLATFORMS.join(', ')} (cross-compiled from $BUILDPLATFORM); engine build cache pruned before each run`)
    console.log(line('cold', cold))
    console.log(line('restored, unchanged', unchanged))
    console.log(line('restored, main.go changed', changed))
    console.log(`speed-up, unchanged vs cold: ${(total(cold) / total(unchanged)).toFixed(1)}x (build alone ${(cold.buildMs / unchanged.buildMs).toFixed(1)}x)`)
    console.log(
      `speed-up, changed main.go vs cold: ${(total(cold) / total(changed)).toFixed(1)}x (build alone ${(cold.buildMs / changed.buildMs).toFixed(1)}x)`
    )
  } finally {
    await docker(['image', 'rm', '-f', IMAGE], { allowFailure: true })
    await server.stop()
    await rm(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
