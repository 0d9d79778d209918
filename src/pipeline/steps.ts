/**
 * The steps after a platform is built: look inside and start it (check), and measure it (size). Each returns an
 * immutable outcome and the lines its log group shows; none throws for a platform's own failure.
 */
import type { Inputs } from '../context.js'
import { platformSlug } from '../docker/platform.js'
import { checkBudget, measureImage, measurePlatforms, type ImageSize } from '../size/index.js'
import { examineImage } from '../verify/index.js'
import { runSmoke, smokeContainerNames } from '../verify/smoke.js'
import { run } from '../docker/exec.js'
import { tail } from '../verify/output.js'
import type { BuildOutcome, CheckOutcome, SizeOutcome, TestOutcome } from './outcomes.js'
import type { RunEnv } from './reporter.js'
import { messageOf } from '../errors.js'

export interface StepResult<T> {
  outcome: T
  log: string[]
}

/** Output lines shown in the log under a failed start, indented. */
const TAIL_LINES_IN_LOG = 20

/** Looks inside the image, then starts it in the sandbox. */
export async function checkPlatform(platform: string, build: BuildOutcome, inputs: Inputs, env: RunEnv): Promise<StepResult<CheckOutcome>> {
  const started = Date.now()
  const log: string[] = []
  const slug = platformSlug(platform)
  const examineName = `smokestack-${env.runId}-examine-${slug}`
  env.resources.add('containers', examineName)
  let findings
  try {
    const examined = await examineImage(build.ref, platform, { args: inputs.smokeArgs, containerName: examineName, onFallback: (why) => log.push(why) })
    findings = examined.findings
  } catch (error) {
    log.push(`The image could not be examined: ${messageOf(error)}`)
    return { outcome: { findings: [], durationMs: Date.now() - started, error: messageOf(error) }, log }
  } finally {
    env.resources.forget('containers', examineName)
  }
  for (const f of findings) log.push(`${f.severity} ${f.code}: ${f.message}`)
  if (!inputs.smoke) return { outcome: { findings, durationMs: Date.now() - started }, log }

  const containerName = `smokestack-${env.runId}-${slug}`
  const containers = smokeContainerNames(containerName)
  for (const name of containers) env.resources.add('containers', name)
  try {
    const start = await runSmoke({
      image: build.ref,
      platform,
      containerName,
      args: inputs.smokeArgs,
      timeoutMs: inputs.smokeTimeoutMs,
      acceptedExitCodes: inputs.smokeExitCodes,
      network: inputs.smokeNetwork,
      runArgs: inputs.smokeRunArgs,
      health: inputs.smokeHealth,
      probes: inputs.smokeProbes,
      probeImage: inputs.probeImage,
      log: (line) => log.push(line)
    })
    log.push(`Start: ${start.outcome} — ${start.message}`)
    if (!start.passed && start.outputTail && start.outputTail.trim() !== start.message) {
      log.push(
        'Last lines of its output:',
        ...start.outputTail
          .split('\n')
          .slice(-TAIL_LINES_IN_LOG)
          .map((l) => `  ${l}`)
      )
    }
    for (const f of start.findings ?? []) log.push(`${f.severity} ${f.code}: ${f.message}`)
    return { outcome: { findings: [...findings, ...(start.findings ?? [])], start, durationMs: Date.now() - started }, log }
  } catch (error) {
    log.push(`The start check could not run: ${messageOf(error)}`)
    return { outcome: { findings, durationMs: Date.now() - started, error: messageOf(error) }, log }
  } finally {
    for (const name of containers) env.resources.forget('containers', name)
  }
}

/** Longest a test command may run. */
const TEST_TIMEOUT_MS = 60 * 60_000

/**
 * The user's own test of a platform's image: `command` through the shell, in the workspace, with IMAGE (the
 * image's local reference) and PLATFORM set. It is the user's shell command by definition; it runs on the
 * runner, not in the sandbox.
 */
export async function testPlatform(platform: string, build: BuildOutcome, command: string, env: RunEnv): Promise<StepResult<TestOutcome>> {
  const result = await run('sh', ['-c', command], {
    cwd: env.workspace,
    env: { ...process.env, IMAGE: build.ref, PLATFORM: platform },
    allowFailure: true,
    timeoutMs: TEST_TIMEOUT_MS,
    maxOutputBytes: 256 * 1024
  })
  const outputTail = tail(`${result.stdout}\n${result.stderr}`)
  const log = [
    `Test command ${result.exitCode === 0 ? 'passed' : result.timedOut ? 'timed out' : `exited with code ${result.exitCode}`} in ${(result.durationMs / 1000).toFixed(1)} s`
  ]
  if (outputTail) log.push('Last lines of its output:', ...outputTail.split('\n').map((l) => `  ${l}`))
  return { outcome: { exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut, outputTail }, log }
}

function sizeOutcome(platform: string, size: ImageSize, durationMs: number, inputs: Inputs): SizeOutcome {
  const overBudget = checkBudget({ platform, size: size.size, compressedSize: size.compressedSize }, { maxSize: inputs.maxSize, metric: inputs.sizeMetric })
  return { ...size, durationMs, overBudget }
}

function sizeLog(o: SizeOutcome): string[] {
  if (o.error !== undefined) return [`Not measured: ${o.error}`]
  const lines = [`${o.size} bytes on disk, ${o.compressedSize} bytes compressed, ${o.layers} layers`]
  if (o.overBudget) lines.push(o.overBudget.message)
  return lines
}

/**
 * Measures every built platform: all of a shared build in one pass over its image, separately built ones each
 * on its own (at once). Returns per platform.
 */
export async function sizePlatforms(
  builds: ReadonlyMap<string, BuildOutcome>,
  inputs: Inputs,
  containerdStore: boolean
): Promise<Map<string, StepResult<SizeOutcome>>> {
  const built = [...builds].filter(([, b]) => b.ok)
  const results = new Map<string, StepResult<SizeOutcome>>()
  const record = (platform: string, outcome: SizeOutcome): void => {
    results.set(platform, { outcome, log: sizeLog(outcome) })
  }
  const failed = (error: unknown, started: number): SizeOutcome => ({ largestLayers: [], durationMs: Date.now() - started, error: messageOf(error) })
  const shared = built.filter(([, b]) => b.shared)
  const single = built.filter(([, b]) => !b.shared)
  await Promise.all([
    (async () => {
      if (shared.length === 0) return
      const started = Date.now()
      try {
        const sizes = await measurePlatforms(
          shared[0][1].ref,
          shared.map(([p]) => p)
        )
        for (const [platform] of shared) record(platform, sizeOutcome(platform, sizes.get(platform)!, Date.now() - started, inputs))
      } catch (error) {
        for (const [platform] of shared) record(platform, failed(error, started))
      }
    })(),
    ...single.map(async ([platform, b]) => {
      const started = Date.now()
      try {
        record(platform, sizeOutcome(platform, await measureImage(b.ref, { containerdStore }), Date.now() - started, inputs))
      } catch (error) {
        record(platform, failed(error, started))
      }
    })
  ])
  return results
}
