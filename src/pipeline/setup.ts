/**
 * The phases before any platform is built: the engine and the builder, the Dockerfile and its advice, QEMU.
 * Each fails the run at once with a message naming what to change, before anything is built.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Inputs } from '../context.js'
import { analyzeDockerfile } from '../dockerfile/index.js'
import { inspectEngine, type EngineInfo } from '../docker/engine.js'
import { planLoad, unlistedPlatforms } from '../build/drivers.js'
import { checkBuildx, dockerContext, inspectBuilder, type BuilderInfo, type DockerContext } from '../docker/buildx.js'
import { installQemu, planQemu, readHandlers } from '../docker/qemu.js'
import { nativePlatforms } from '../docker/platform.js'
import type { Finding } from '../types.js'
import type { Reporter, RunEnv } from './reporter.js'

export interface Setup {
  engine: EngineInfo
  builder: BuilderInfo
  /** The platforms to build: as asked, or the engine's own. */
  platforms: string[]
  /** The advice, paths relative to the workspace. */
  advice: Finding[]
}

/** Waits for all; throws the first failure in the given order, not in the order they happened. */
async function allInOrder<T extends readonly unknown[]>(promises: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises)
  for (const s of settled) if (s.status === 'rejected') throw s.reason
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T
}

/** The context a docker-driver builder's node names, when it is not the client's own. */
async function builderContext(builder: BuilderInfo, current: DockerContext): Promise<DockerContext | undefined> {
  const endpoint = builder.nodes?.[0]?.endpoint
  return builder.driver === 'docker' && endpoint !== undefined && endpoint !== current.name ? dockerContext(endpoint) : undefined
}

export async function setUp(inputs: Inputs, env: RunEnv, reporter: Reporter): Promise<Setup> {
  const { engine, builder } = await reporter.phase('Engine and builder', async () => {
    // Asked at once; a failure is reported in this order: engine, buildx, builder.
    const [engine, buildx, builder, current] = await allInOrder([inspectEngine(), checkBuildx(), inspectBuilder(inputs.builder), dockerContext()] as const)
    reporter.info(
      `Engine ${engine.serverVersion} on ${engine.platform} (${engine.containerdStore ? 'containerd' : 'classic'} image store); buildx ${buildx}; builder "${builder.name}" (${builder.driver})`
    )
    // Before anything is built: the images must land on the engine the checks use.
    const load = planLoad(builder, current, await builderContext(builder, current))
    for (const note of load.notes) reporter.info(note)
    return { engine, builder }
  })
  const platforms = inputs.platforms.length ? inputs.platforms : [engine.platform]
  const attesting = inputs.build.attests.filter((a) => !/(^|,)disabled=true(,|$)/.test(a))
  // The image is tested from the engine's copy; the classic store keeps no attestation with an image it loads.
  if (attesting.length > 0 && !engine.containerdStore) {
    throw new Error(
      `attestations (${attesting.join('; ')}) cannot be kept with the tested image on the classic image store, which loads images without them, so it would be published without them; enable the containerd image store (dockerd "features": {"containerd-snapshotter": true}), or set provenance: false and sbom: false`
    )
  }
  if (builder.driver !== 'docker') {
    const unlisted = unlistedPlatforms(builder, platforms)
    if (unlisted.length)
      reporter.info(
        `No node of builder "${builder.name}" lists ${unlisted.join(', ')}; BuildKit builds them under emulation where a node has QEMU handlers, or the build fails.`
      )
  }

  const advice = await reporter.phase('Dockerfile', async () => {
    if (inputs.remoteContext) {
      reporter.info(
        `The build context is the Git repository ${inputs.context}: BuildKit fetches it, so its Dockerfile is not read here and the Dockerfile advice is skipped.`
      )
      return []
    }
    const analysis = analyzeDockerfile({
      path: inputs.file,
      content: fs.readFileSync(inputs.file, 'utf8'),
      target: inputs.target,
      platforms,
      nativePlatforms: nativePlatforms(engine.platform),
      buildArgs: inputs.buildArgs,
      ignore: inputs.ignoreAdvice
    })
    reporter.info(
      `Stages: ${analysis.stages.map((s) => s.name ?? `#${s.index}`).join(', ')}; target: ${analysis.targetStage.name ?? `#${analysis.targetStage.index}`}`
    )
    return analysis.findings.map((f) => (f.file ? { ...f, file: path.relative(env.workspace, f.file) } : f))
  })
  reporter.advice(advice)
  if (inputs.failOnAdvice && advice.length > 0) {
    throw new Error(`fail-on-advice is true and the Dockerfile advice found ${advice.length} pitfall(s): ${advice.map((f) => f.code).join(', ')}`)
  }

  await reporter.phase('QEMU', async () => {
    const plan = planQemu(inputs.setupQemu, platforms, engine.platform, readHandlers())
    reporter.info(plan.install.length ? `Installing QEMU handlers for ${plan.install.join(', ')} (${plan.reason})` : `No QEMU set-up: ${plan.reason}`)
    if (plan.install.length) await installQemu(inputs.qemuImage, plan.install)
  })
  return { engine, builder, platforms, advice }
}
