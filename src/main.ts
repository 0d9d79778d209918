/**
 * run(): the pipeline, in order — inputs, Dockerfile, engine and builder, QEMU, build, look inside,
 * start, measure, publish, report. The only place that calls setFailed.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as core from '@actions/core'
import { parseInputs, type Inputs } from './context.js'
import { Tracker, cancelRun } from './cleanup.js'
import { analyzeDockerfile } from './dockerfile/index.js'
import { inspectEngine } from './docker/engine.js'
import { checkBuildx, inspectBuilder } from './docker/buildx.js'
import { installQemu, planQemu, readHandlers } from './docker/qemu.js'
import { nativePlatforms, platformSlug } from './docker/platform.js'
import { buildPlatform } from './build/index.js'
import { localReference } from './build/args.js'
import { examineImage, explainStartFailure } from './verify/index.js'
import { runSmoke } from './verify/smoke.js'
import { measureImage, checkBudget, compareToBaseline, checkGrowth } from './size/index.js'
import { planCache, restoreBuildCache, saveBuildCache, hashBuildInputs, cacheArgsAfterRestore, cacheServiceAvailable, type CacheHit } from './cache/index.js'
import { publish } from './publish/index.js'
import { computeOutputs, type RunReport } from './report/outputs.js'
import { renderSummary } from './report/summary.js'
import { annotate } from './report/annotations.js'
import type { Finding, PlatformResult } from './types.js'

export interface RunOptions {
  /** Reads an input; defaults to the Actions runner's INPUT_* variables. */
  input?: (name: string) => string
  workspace?: string
}

function newRunId(): string {
  const parts = [process.env.GITHUB_RUN_ID, process.env.GITHUB_RUN_ATTEMPT].filter(Boolean)
  return [...parts, randomBytes(4).toString('hex')].join('-')
}

/** Waits for all; throws the first failure in the given order, not in the order they happened. */
async function allInOrder<T extends readonly unknown[]>(promises: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises)
  for (const s of settled) if (s.status === 'rejected') throw s.reason
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

export interface PipelineOutcome {
  report: RunReport
  advice: Finding[]
  notes: string[]
  largestLayers: Record<string, { size: number; createdBy: string }[]>
}

/** A platform's phase as the pipeline moves on: what a terminal shows live. */
export type Phase = 'building' | 'checking' | 'sizing' | 'done'
export type ProgressListener = (platform: string, phase: Phase, result: PlatformResult) => void

/** The pipeline. Returns the report; throws only on errors that stop everything (no engine, bad Dockerfile). */
export async function pipeline(inputs: Inputs, tracker: Tracker, onProgress: ProgressListener = () => undefined): Promise<PipelineOutcome> {
  for (const mask of inputs.masks) core.setSecret(mask)
  const notes: string[] = []
  const runId = newRunId()
  const tempDir = fs.mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'smokestack-'))
  tracker.add('dirs', tempDir)

  const engine = await core.group('Engine and builder', async () => {
    // Asked at once; a failure is reported in this order: engine, buildx, builder.
    const [engine, buildx, builder] = await allInOrder([inspectEngine(), checkBuildx(), inspectBuilder(inputs.builder)] as const)
    core.info(`Engine ${engine.serverVersion} on ${engine.platform} (${engine.containerdStore ? 'containerd' : 'classic'} image store); buildx ${buildx}; builder "${builder.name}" (${builder.driver})`)
    return { ...engine, builder }
  })
  const platforms = inputs.platforms.length ? inputs.platforms : [engine.platform]
  const native = nativePlatforms(engine.platform)

  const analysis = await core.group('Dockerfile', async () => {
    const analysis = analyzeDockerfile({
      path: inputs.file,
      content: fs.readFileSync(inputs.file, 'utf8'),
      target: inputs.target,
      platforms,
      nativePlatforms: native,
      buildArgs: inputs.buildArgs
    })
    core.info(`Stages: ${analysis.stages.map((s) => s.name ?? `#${s.index}`).join(', ')}; target: ${analysis.targetStage.name ?? `#${analysis.targetStage.index}`}`)
    return analysis
  })
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd()
  const advice = analysis.findings.map((f) => (f.file ? { ...f, file: path.relative(workspace, f.file) } : f))
  for (const f of advice) annotate(f)
  if (inputs.failOnAdvice && advice.length > 0) throw new Error(`fail-on-advice is true and the Dockerfile advice found ${advice.length} pitfall(s): ${advice.map((f) => f.code).join(', ')}`)

  await core.group('QEMU', async () => {
    const plan = planQemu(inputs.setupQemu, platforms, engine.platform, readHandlers())
    core.info(plan.install.length ? `Installing QEMU handlers for ${plan.install.join(', ')} (${plan.reason})` : `No QEMU set-up: ${plan.reason}`)
    if (plan.install.length) await installQemu(inputs.qemuImage, plan.install)
  })

  const cachePlan = planCache({
    mode: inputs.cache,
    extraKey: inputs.cacheKey,
    userCache: inputs.build.cacheFrom.length + inputs.build.cacheTo.length > 0,
    inActions: process.env.GITHUB_ACTIONS === 'true',
    serviceAvailable: cacheServiceAvailable(process.env),
    driver: engine.builder.driver,
    containerdStore: engine.containerdStore,
    os: process.platform,
    platforms,
    target: inputs.target,
    ...(await hashBuildInputs(inputs.file, inputs.context)),
    // The cache service matches entries by path: the runner's temporary directory keeps its path between jobs.
    tempDir: process.env.RUNNER_TEMP || os.tmpdir()
  })
  if (cachePlan.enabled) tracker.add('dirs', path.dirname(cachePlan.archiveDir))
  let cacheHit: CacheHit | undefined
  if (cachePlan.enabled) {
    cacheHit = (await inRunTemp(tempDir, () => restoreBuildCache(cachePlan, { timeoutMs: inputs.cacheTimeoutMs }))).hit
  } else if (cachePlan.warn) {
    core.warning(cachePlan.reason)
  } else {
    core.info(cachePlan.reason)
  }

  const secretSpecs = writeSecrets(inputs, tempDir)
  const results: PlatformResult[] = []
  const largestLayers: Record<string, { size: number; createdBy: string }[]> = {}
  for (const platform of platforms) {
    const result: PlatformResult = { platform, localRef: localReference(runId, platform), findings: [], status: 'passed' }
    results.push(result)
    const steps: [Phase, string, () => Promise<void>][] = [
      [
        'building',
        'build',
        () =>
          buildStep(result, inputs, tracker, tempDir, {
            cacheArgs: cachePlan.enabled ? cacheArgsAfterRestore(cachePlan, cacheHit ?? 'false', platform) : [],
            secrets: secretSpecs
          })
      ],
      ['checking', 'look inside and start', () => checkStep(result, inputs, tracker, runId)],
      [
        'sizing',
        'size',
        async () => {
          largestLayers[platform] = await sizeStep(result, inputs, engine.containerdStore)
        }
      ]
    ]
    for (const [phase, title, step] of steps) {
      onProgress(platform, phase, result)
      await core.group(`${platform}: ${title}`, step)
      if (result.imageId === undefined) break // the build failed: nothing to look at
    }
    onProgress(platform, 'done', result)
  }

  // Secret values are not needed past the builds.
  for (const s of inputs.secrets) fs.rmSync(path.join(tempDir, `secret-${s.id}`), { force: true })

  const report: RunReport = { results, cacheHit }
  if (inputs.compareTo) {
    const current = new Map(results.filter((r) => r.compressedSize !== undefined).map((r) => [r.platform, r.compressedSize as number]))
    const baseline = await compareToBaseline(current, inputs.compareTo)
    if (!baseline.available) {
      core.warning(`Baseline ${inputs.compareTo} could not be read (${baseline.reason}); sizes are not compared`)
      notes.push(`Baseline ${inputs.compareTo} not compared: ${baseline.reason}`)
    } else {
      report.deltas = baseline.deltas
      if (inputs.maxGrowth) {
        for (const f of checkGrowth(baseline.deltas, inputs.maxGrowth)) {
          const r = results.find((x) => x.platform === f.platform)
          if (r) {
            r.findings.push(f)
            r.status = 'failed'
          }
        }
      }
    }
  }

  // Saved after every platform built: a failed start or check does not make the cache worse.
  if (cachePlan.enabled && results.every((r) => r.imageId !== undefined)) {
    await inRunTemp(tempDir, () => saveBuildCache(cachePlan, cacheHit ?? 'false', { timeoutMs: inputs.cacheTimeoutMs }))
  }

  if (inputs.push) {
    if (results.every((r) => r.status === 'passed')) {
      await core.group('Publish', async () => {
        const published = await publish(results, inputs.tags, tracker)
        report.digest = published.digest
        for (const r of results) {
          r.digest = published.platformDigests[r.platform]
          // Exact now that it is in the registry.
          r.compressedSize = published.compressedSizes[r.platform] ?? r.compressedSize
        }
      })
    } else {
      notes.push('Nothing was pushed: publishing needs every platform to pass.')
    }
  }
  return { report, advice, notes, largestLayers }
}

/** Builds one platform's image and loads it under its per-run name. */
async function buildStep(result: PlatformResult, inputs: Inputs, tracker: Tracker, tempDir: string, extra: { cacheArgs: string[]; secrets: string[] }): Promise<void> {
  tracker.add('images', result.localRef)
  const built = await buildPlatform(
    {
      context: inputs.context,
      file: inputs.file,
      platform: result.platform,
      localRef: result.localRef,
      target: inputs.target,
      builder: inputs.builder,
      buildArgs: inputs.buildArgs,
      labels: inputs.labels,
      noCache: inputs.noCache,
      options: inputs.build,
      ...extra
    },
    tempDir
  )
  result.buildMs = built.durationMs
  if (!built.ok) {
    result.status = 'failed'
    result.error = `build failed: ${built.error}`
    core.info(built.log.split('\n').slice(-40).join('\n'))
    return
  }
  result.imageId = built.imageId
  result.configDigest = built.configDigest
  core.info(`Built ${result.localRef} (${built.imageId}) in ${(built.durationMs / 1000).toFixed(1)} s`)
}

/** Looks inside the image, then starts it in the sandbox; a start failure is explained by what was found. */
async function checkStep(result: PlatformResult, inputs: Inputs, tracker: Tracker, runId: string): Promise<void> {
  const started = Date.now()
  const examined = await examineImage(result.localRef, result.platform, { args: inputs.smokeArgs })
  result.findings.push(...examined.findings)
  if (inputs.smoke) {
    const containerName = `smokestack-${runId}-${platformSlug(result.platform)}`
    tracker.add('containers', containerName)
    const smoke = await runSmoke({
      image: result.localRef,
      platform: result.platform,
      containerName,
      args: inputs.smokeArgs,
      timeoutMs: inputs.smokeTimeoutMs,
      acceptedExitCodes: inputs.smokeExitCodes,
      network: inputs.smokeNetwork,
      runArgs: inputs.smokeRunArgs
    })
    tracker.forget('containers', containerName)
    result.smoke = smoke
    core.info(`Start: ${smoke.outcome} — ${smoke.message}`)
    if (!smoke.passed) {
      result.status = 'failed'
      result.error = smoke.outcome === 'start-failed' ? `${smoke.message}: ${explainStartFailure(smoke.message, examined.findings)}` : smoke.message
    }
  }
  if (examined.findings.some((f) => f.severity === 'error')) result.status = 'failed'
  result.checkMs = Date.now() - started
}

/** Measures the image and applies the size budget; returns its largest layers for the summary. */
async function sizeStep(result: PlatformResult, inputs: Inputs, containerdStore: boolean): Promise<{ size: number; createdBy: string }[]> {
  const started = Date.now()
  const size = await measureImage(result.localRef, { containerdStore })
  result.sizeMs = Date.now() - started
  result.size = size.size
  result.compressedSize = size.compressedSize
  result.layers = size.layers
  const over = checkBudget({ platform: result.platform, size: size.size, compressedSize: size.compressedSize }, { maxSize: inputs.maxSize, metric: inputs.sizeMetric })
  if (over) {
    result.findings.push(over)
    result.status = 'failed'
  }
  return size.largestLayers
}

/** Runs `fn` with RUNNER_TEMP pointing at the run's own directory, so the cache client's scratch files are removed with it. */
async function inRunTemp<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.RUNNER_TEMP
  process.env.RUNNER_TEMP = dir
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = saved
  }
}

/** Writes build secrets to files only the runner user can read, in the run's temporary directory. */
function writeSecrets(inputs: Inputs, tempDir: string): string[] {
  const specs: string[] = []
  for (const s of inputs.secrets) {
    const file = path.join(tempDir, `secret-${s.id}`)
    fs.writeFileSync(file, s.value, { mode: 0o600 })
    specs.push(`id=${s.id},src=${file}`)
  }
  for (const s of inputs.secretFiles) specs.push(`id=${s.id},src=${s.path}`)
  return specs
}

export async function run(options: RunOptions = {}): Promise<void> {
  const tracker = new Tracker()
  const onSignal = (signal: NodeJS.Signals): void => {
    core.error(`Cancelled (${signal}); cleaning up`)
    void cancelRun(tracker.items).finally(() => process.exit(1))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const inputs = parseInputs(options.input ?? ((name) => core.getInput(name)), options.workspace ?? process.env.GITHUB_WORKSPACE ?? process.cwd())
    const { report, advice, notes, largestLayers } = await pipeline(inputs, tracker)
    for (const [name, value] of Object.entries(computeOutputs(report))) core.setOutput(name, value)
    for (const r of report.results) {
      // Notices stay in the summary; errors and warnings become annotations, unless the platform's own
      // error annotation below already carries the finding as the explanation of a failed start.
      for (const f of r.findings) if (f.severity !== 'notice' && !r.error?.includes(f.message)) annotate({ ...f, platform: r.platform })
      if (r.status === 'failed' && r.error) core.error(`${r.platform}: ${r.error}`, { title: `smokestack: ${r.platform} failed` })
    }
    if (process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(renderSummary(report, { title: 'smokestack', advice, largestLayers, notes })).write()
    }
    const failed = report.results.filter((r) => r.status === 'failed')
    if (failed.length) core.setFailed(`${failed.length} of ${report.results.length} platform(s) failed: ${failed.map((r) => r.platform).join(', ')}`)
  } catch (e) {
    // Bad input and an unusable Dockerfile carry messages written for the user, as does every other failure here.
    core.setFailed(errorText(e))
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}
