/** Builds one platform's image and loads it into the engine under its per-run name. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as core from '@actions/core'
import { docker } from '../docker/exec.js'
import { buildArgs, buildFailureSummary, parseBuildMetadata, type BuildRequest } from './args.js'

export interface BuildOutcome {
  ok: boolean
  durationMs: number
  configDigest?: string
  imageId?: string
  error?: string
  log: string
}

export async function buildPlatform(request: Omit<BuildRequest, 'metadataFile'>, tempDir: string): Promise<BuildOutcome> {
  const metadataFile = path.join(tempDir, `metadata-${request.platform.replace(/\//g, '-')}.json`)
  const args = buildArgs({ ...request, metadataFile })
  const result = await docker(args, { allowFailure: true, echo: core.isDebug() })
  const log = `${result.stdout}\n${result.stderr}`
  if (result.exitCode !== 0) {
    return { ok: false, durationMs: result.durationMs, error: buildFailureSummary(log), log }
  }
  const meta = fs.existsSync(metadataFile) ? parseBuildMetadata(fs.readFileSync(metadataFile, 'utf8')) : {}
  const inspect = await docker(['image', 'inspect', '--format', '{{.Id}}', request.localRef])
  return { ok: true, durationMs: result.durationMs, configDigest: meta.configDigest, imageId: inspect.stdout.trim(), log }
}
