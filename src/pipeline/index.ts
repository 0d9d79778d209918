/**
 * The pipeline: inputs, engine and builder, Dockerfile, QEMU, build every platform, look inside and start each,
 * measure each, compare, publish only if every platform passed. It knows nothing of the runner: where it runs
 * comes in as a RunEnv, and everything it has to say goes to a Reporter. Platforms are built, checked and
 * measured at once; one platform's failure never stops the others.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Inputs } from '../context.js'
import { buildAll, sharedSolve } from '../build/index.js'
import {
  cacheArgsAfterRestore,
  cacheServiceAvailable,
  hashBuildInputs,
  planCache,
  restoreBuildCache,
  saveBuildCache,
  type CacheHit,
  type CachePlan
} from '../cache/index.js'
import { CancelledError, docker, isCancelled, lastErrorLine } from '../docker/exec.js'
import { platformSlug } from '../docker/platform.js'
import { checkGrowth, compareToBaseline } from '../size/index.js'
import { publishByDigest, publishVerified } from '../publish/index.js'
import { checksAtOnce, mapLimit } from './concurrency.js'
import type { BaselineOutcome, BuildOutcome, PipelineResult, PlatformOutcome, PublishOutcome } from './outcomes.js'
import type { Reporter, RunEnv } from './reporter.js'
import { setUp } from './setup.js'
import { platformVerdict } from './status.js'
import { checkPlatform, sizePlatforms, testPlatform } from './steps.js'

export type { PipelineResult } from './outcomes.js'
export type { Reporter, RunEnv, Step } from './reporter.js'

/** Stops the pipeline between phases once the run was cancelled. */
function stopIfCancelled(): void {
  if (isCancelled()) throw new CancelledError('smokestack', ['the pipeline'])
}

function buildLog(b: BuildOutcome): string[] {
  if (!b.ok) return [`Build failed: ${b.error}`, ...(b.logTail ? b.logTail.split('\n') : [])]
  return [`Built ${b.ref}${b.shared ? ' (all platforms in one solve)' : ''} (${b.imageId}) in ${(b.durationMs / 1000).toFixed(1)} s`]
}

/** The pipeline. Returns what happened; throws only on what stops everything (no engine, bad Dockerfile, cancel). */
export async function pipeline(inputs: Inputs, env: RunEnv, reporter: Reporter): Promise<PipelineResult> {
  const notes: string[] = []
  // Every line of every secret, and build arguments that look like credentials, before anything could print one.
  for (const mask of inputs.masks) reporter.secret(mask)
  maskCredentialArgs(inputs, reporter)
  const tempDir = fs.mkdtempSync(path.join(env.tempRoot, 'smokestack-'))
  env.resources.add('dirs', tempDir)

  const { engine, builder, platforms, advice } = await setUp(inputs, env, reporter)
  stopIfCancelled()

  const shared = sharedSolve(platforms, engine.containerdStore, builder.driver)
  const cachePlan = planCache({
    mode: inputs.cache,
    extraKey: inputs.cacheKey,
    userCache: inputs.build.cacheFrom.length + inputs.build.cacheTo.length > 0,
    inActions: env.inActions,
    serviceAvailable: env.cacheStore !== undefined && cacheServiceAvailable(env.vars),
    driver: builder.driver,
    containerdStore: engine.containerdStore,
    os: process.platform,
    platforms,
    target: inputs.target,
    ...(inputs.remoteContext ? remoteHashes(inputs) : await hashBuildInputs(inputs.file, inputs.context)),
    // The cache service matches entries by path: the runner's temporary directory keeps its path between jobs.
    tempDir: env.tempRoot
  })
  const cacheHit = await restoreCache(cachePlan, inputs, env, reporter)
  stopIfCancelled()

  const secretSpecs = writeSecrets(inputs, tempDir)
  const outcomes = new Map<string, PlatformOutcome>()
  let builds: Map<string, BuildOutcome>
  try {
    for (const p of platforms) reporter.stepStarted(p, 'build')
    builds = await buildAll(
      {
        context: inputs.context,
        file: inputs.file,
        target: inputs.target,
        builder: inputs.builder,
        buildArgs: inputs.buildArgs,
        labels: inputs.labels,
        noCache: inputs.noCache,
        secrets: secretSpecs,
        options: inputs.build
      },
      platforms,
      {
        runId: env.runId,
        tempDir,
        shared,
        cacheArgs: (built) =>
          cachePlan.enabled ? cacheArgsAfterRestore(cachePlan, cacheHit ?? 'false', built.length === 1 ? platformSlug(built[0]) : 'all') : [],
        track: (ref) => env.resources.add('images', ref),
        onLine: (line) => reporter.debug(line),
        say: (line) => reporter.info(line)
      }
    )
  } finally {
    // Secret values are not needed past the builds.
    for (const s of inputs.secrets) fs.rmSync(path.join(tempDir, `secret-${s.id}`), { force: true })
  }
  for (const p of platforms) {
    const build = builds.get(p)!
    outcomes.set(p, { platform: p, build })
    reporter.stepFinished(p, 'build', buildLog(build), outcomes.get(p)!)
    if (!build.ok) reporter.platformDone(outcomes.get(p)!)
  }
  stopIfCancelled()

  // Look inside, start and measure every built platform at once; a platform is done when all its steps are.
  const built = platforms.filter((p) => builds.get(p)!.ok)
  const pending = new Map(built.map((p) => [p, 2]))
  const finish = (p: string): void => {
    const left = pending.get(p)! - 1
    pending.set(p, left)
    if (left === 0) reporter.platformDone(outcomes.get(p)!)
  }
  // The user's tests run one at a time (they may share ports or files), each once its platform passed its checks.
  let tests = Promise.resolve()
  const test = (p: string): Promise<void> =>
    (tests = tests.then(async () => {
      if (isCancelled()) return
      reporter.stepStarted(p, 'test')
      const { outcome, log } = await testPlatform(p, builds.get(p)!, inputs.testCommand!, env)
      outcomes.set(p, { ...outcomes.get(p)!, test: outcome })
      reporter.stepFinished(p, 'test', log, outcomes.get(p)!)
    }))
  await Promise.all([
    mapLimit(built, checksAtOnce(), async (p) => {
      reporter.stepStarted(p, 'check')
      const { outcome, log } = await checkPlatform(p, builds.get(p)!, inputs, env)
      outcomes.set(p, { ...outcomes.get(p)!, check: outcome })
      reporter.stepFinished(p, 'check', log, outcomes.get(p)!)
      if (inputs.testCommand !== undefined && platformVerdict(outcomes.get(p)!, { sizeGated: false }).status === 'passed') await test(p)
      finish(p)
    }),
    (async () => {
      for (const p of built) reporter.stepStarted(p, 'size')
      const sizes = await sizePlatforms(builds, inputs, engine.containerdStore)
      for (const p of built) {
        const { outcome, log } = sizes.get(p)!
        outcomes.set(p, { ...outcomes.get(p)!, size: outcome })
        reporter.stepFinished(p, 'size', log, outcomes.get(p)!)
        finish(p)
      }
    })()
  ])
  stopIfCancelled()

  const baseline = inputs.compareTo ? await compare(inputs, platforms, outcomes, notes, reporter) : undefined

  // Saved after every platform built: a failed start or check does not make the cache worse.
  if (cachePlan.enabled && env.cacheStore && platforms.every((p) => builds.get(p)!.ok)) {
    await reporter.phase('Build cache', () =>
      saveBuildCache(cachePlan, cacheHit ?? 'false', env.cacheStore!, reporter, { timeoutMs: inputs.cacheTimeoutMs, cacheMode: env.vars.ACTIONS_CACHE_MODE })
    )
  }

  const ordered = platforms.map((p) => outcomes.get(p)!)
  const sizeGated = inputs.maxSize !== undefined || inputs.maxGrowth !== undefined
  const loaded = inputs.load ? await load(inputs, ordered, engine.platform, sizeGated, notes, reporter) : undefined
  let publish: PublishOutcome | undefined
  let publishSkipped: string | undefined
  if (inputs.push) {
    const failed = ordered.filter((o) => platformVerdict(o, { sizeGated }).status === 'failed')
    if (failed.length === 0) {
      stopIfCancelled()
      const options = { spoolDir: path.join(tempDir, 'publish'), registryConfig: engine.registryConfig }
      publish = await (inputs.push === 'by-digest'
        ? reporter.phase('Push by digest', () => publishByDigest(ordered, inputs.tags, reporter, options))
        : reporter.phase('Publish', () => publishVerified(ordered, inputs.tags, reporter, options)))
    } else {
      publishSkipped = `Nothing was pushed: publishing needs every platform to pass (${failed.map((o) => o.platform).join(', ')} did not).`
      notes.push(publishSkipped)
    }
  }
  return { platforms: ordered, advice, baseline, cacheHit, publish, publishSkipped, notes, loaded }
}

/**
 * `load`: the tested image left in the engine under the user's tags for later steps, once it passed: the
 * engine's own platform (all of them, when they are one image on the containerd store), else the first.
 */
async function load(
  inputs: Inputs,
  platforms: readonly PlatformOutcome[],
  host: string,
  sizeGated: boolean,
  notes: string[],
  reporter: Reporter
): Promise<string[]> {
  if (inputs.tags.length === 0) {
    notes.push('load is true, but no tags are given: nothing was left in the engine under a name of yours.')
    return []
  }
  const chosen = platforms.find((o) => o.platform === host) ?? platforms[0]
  if (platformVerdict(chosen, { sizeGated }).status !== 'passed') {
    notes.push(`load: ${chosen.platform} did not pass, so its image was not left under ${inputs.tags.join(', ')}.`)
    return []
  }
  const loaded: string[] = []
  for (const tag of inputs.tags) {
    const r = await docker(['tag', chosen.build.ref, tag], { allowFailure: true })
    if (r.exitCode === 0) loaded.push(tag)
    else reporter.warning(`load: could not tag the tested image as ${tag}: ${lastErrorLine(r.stderr, r.stdout)}`)
  }
  const which = chosen.build.shared ? platforms.map((o) => o.platform).join(', ') : chosen.platform
  reporter.info(`Loaded the tested image (${which}) as ${loaded.join(', ')}`)
  return loaded
}

async function restoreCache(plan: CachePlan, inputs: Inputs, env: RunEnv, reporter: Reporter): Promise<CacheHit | undefined> {
  if (!plan.enabled) {
    if (plan.warn) reporter.warning(plan.reason)
    else reporter.info(plan.reason)
    return undefined
  }
  env.resources.add('dirs', path.dirname(plan.archiveDir))
  return reporter.phase('Build cache', async () => (await restoreBuildCache(plan, env.cacheStore!, reporter, { timeoutMs: inputs.cacheTimeoutMs })).hit)
}

/** Compares compressed sizes with the baseline and applies `max-growth`; what could not be done is said plainly. */
async function compare(
  inputs: Inputs,
  platforms: string[],
  outcomes: Map<string, PlatformOutcome>,
  notes: string[],
  reporter: Reporter
): Promise<BaselineOutcome> {
  const ref = inputs.compareTo!
  const current = new Map(
    platforms.flatMap((p) => {
      const size = outcomes.get(p)!.size?.compressedSize
      return size === undefined ? [] : [[p, size] as const]
    })
  )
  const result = await reporter.phase('Compare sizes', () => compareToBaseline(current, ref))
  if (!result.available) {
    const gate = inputs.maxGrowth ? ' The max-growth gate was NOT applied: without a baseline there is no growth to check.' : ''
    reporter.warning(`Baseline ${ref} could not be read (${result.reason}); sizes are not compared.${gate}`)
    notes.push(`Baseline ${ref} not compared: ${result.reason}.${gate}`)
    return { ref, available: false, reason: result.reason, deltas: [], growthGateSkipped: inputs.maxGrowth !== undefined }
  }
  if (inputs.maxGrowth) {
    for (const f of checkGrowth(result.deltas, inputs.maxGrowth)) {
      const o = f.platform !== undefined ? outcomes.get(f.platform) : undefined
      if (o) outcomes.set(o.platform, { ...o, growth: f })
    }
  }
  return { ref, available: true, deltas: result.deltas, growthGateSkipped: false }
}

/** A Git context's cache key parts: the URL and the Dockerfile path stand for the files, which are not here. */
function remoteHashes(inputs: Inputs): { dockerfileHash: string; lockfilesHash: string } {
  const hash = createHash('sha256').update(`${inputs.context}\n${inputs.file}`).digest('hex')
  return { dockerfileHash: hash, lockfilesHash: hash }
}

/** A build argument whose name says it holds a credential. */
export function looksSecret(name: string): boolean {
  return /(TOKEN|SECRET|PASSW(OR)?D|PASS$|API_?KEY|PRIVATE|CREDENTIAL|AUTH)/i.test(name)
}

/** Masks build arguments that look like credentials, with a warning that they stay in the image's history. */
function maskCredentialArgs(inputs: Inputs, reporter: Reporter): void {
  for (const [name, value] of Object.entries(inputs.buildArgs)) {
    if (!looksSecret(name) || value.trim().length < 4) continue
    reporter.secret(value)
    reporter.warning(
      `build-arg ${name} looks like a credential: build arguments are kept in the image's history for anyone who pulls it (its value is masked in this log). Pass it with "secrets" (RUN --mount=type=secret) instead.`
    )
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
