/**
 * The merge: per-platform records in, one verified list out, or nothing. The records are read strictly, judged
 * on their own (one passed and pushed record per expected platform, this commit, one repository), then each
 * platform's manifest is verified in the registry; only then is the list created, uploaded by digest and put
 * under every tag, last, with the tags put back if one fails. Never throws for a problem of the records or the
 * registry: the report says what blocked the merge.
 */
import { DEFAULT_REGISTRY_CONFIG, type EngineRegistryConfig } from '../docker/registry-http.js'
import { parseImageRef, repositoryName } from '../docker/reference.js'
import type { PublishOutcome } from '../pipeline/outcomes.js'
import { failed } from '../publish/index.js'
import { checkDestinations } from '../publish/preflight.js'
import { clientPool, publishIndex, uploadImages } from '../publish/push.js'
import { inspectEngine } from '../docker/engine.js'
import { cancelCommands } from '../docker/exec.js'
import type { RunReport } from '../report/model.js'
import { readRecords } from '../record/parse.js'
import type { MergeInputs } from './inputs.js'
import { planMerge, planProblems } from './plan.js'
import { mergeReport, type MergedPlatform } from './report.js'
import { indexOf, verifyRecord } from './verify.js'
import { messageOf } from '../errors.js'

export interface MergeOptions {
  /** Registries reached over plain HTTP besides loopback (the engine's insecure registries). */
  registryConfig: EngineRegistryConfig
  say: (line: string) => void
}

/** The engine's insecure registries when an engine answers (else the engine's defaults); the merge itself needs no engine. */
export async function engineInsecureRegistries(): Promise<EngineRegistryConfig> {
  try {
    return (await inspectEngine()).registryConfig
  } catch {
    return DEFAULT_REGISTRY_CONFIG
  }
}

/**
 * On SIGINT or SIGTERM, no tag moves any more: a tag already moved is put back (see publishIndex). Returns the
 * function that stops listening.
 */
export function stopTagsOnSignal(say: (line: string) => void): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`Cancelled (${signal}): no further tag moves; the tags already moved are put back`)
    void cancelCommands()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return () => {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

/** Throws only for a records directory that cannot be read at all or a record that is not a valid record. */
export async function merge(inputs: MergeInputs, options: MergeOptions): Promise<RunReport> {
  const records = readRecords(inputs.records)
  options.say(
    `Read ${records.length} record(s) from ${inputs.records}: ${records.map((r) => `${r.file} (${r.record.platform}, ${r.record.status})`).join(', ') || 'none'}`
  )
  const plan = planMerge(records, { platforms: inputs.platforms, commit: inputs.commit, tags: inputs.tags })
  const platforms: MergedPlatform[] = plan.platforms.map((p) => ({ platform: p.platform, record: p.read?.record, problem: p.problem }))
  const problems = [...plan.problems]
  if (planProblems(plan).length > 0 || !plan.repository) return mergeReport(platforms, undefined, problems)

  const repo = parseImageRef(plan.repository)!
  const pool = clientPool(options.registryConfig)
  const clientFor = pool.clientFor
  try {
    // Every platform verified in the registry, at once.
    const checked = await Promise.all(
      platforms.map(async (p) => {
        try {
          return { ...p, verified: await verifyRecord(clientFor(repo.registry), repo, p.record!) }
        } catch (error) {
          return { ...p, problem: messageOf(error) }
        }
      })
    )
    if (checked.some((p) => p.problem)) return mergeReport(checked, undefined, problems)
    const manifests = checked.map((p) => p.verified!)
    options.say(`Verified in ${plan.repository}: ${manifests.map((m) => `${m.platform}=${m.digest} (config ${m.configDigest})`).join(', ')}`)

    let index
    try {
      index = indexOf(manifests, inputs.annotations)
      await checkDestinations(inputs.tags, clientFor)
      // Other repositories on the registry get the manifests, their blobs mounted from the records' repository.
      const others = [...new Map(inputs.tags.map((t) => parseImageRef(t)!).map((r) => [repositoryName(r).toLowerCase(), r])).values()].filter(
        (r) => repositoryName(r).toLowerCase() !== plan.repository!.toLowerCase()
      )
      if (others.length) {
        const blobs = new Map(manifests.flatMap((m) => m.blobs).map((b) => [b.digest, b]))
        await uploadImages({ manifests, blobs }, others, clientFor, options.say, repo)
      }
    } catch (error) {
      return mergeReport(checked, failed(messageOf(error)), [])
    }
    const pushed = await publishIndex(index, inputs.tags, clientFor)
    const publish: PublishOutcome = {
      ok: !pushed.error,
      digest: pushed.error ? undefined : index.digest,
      platformDigests: Object.fromEntries(manifests.map((m) => [m.platform, m.digest])),
      compressedSizes: Object.fromEntries(manifests.map((m) => [m.platform, m.compressedSize])),
      published: pushed.published,
      restored: pushed.restored,
      error: pushed.error
    }
    options.say(pushed.error ? `Publishing stopped: ${pushed.error}` : `Published ${inputs.tags.join(', ')} as ${index.digest}`)
    return mergeReport(checked, publish, [])
  } finally {
    pool.close()
  }
}
