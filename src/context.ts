/**
 * Every input, read and validated in one place before anything runs. Each failure names the input,
 * the bad value and what is accepted. The value parsers live in src/inputs/; list inputs follow
 * docker/build-push-action's syntax (src/inputs/list.ts), typed by src/inputs/types.ts.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseImageRef, repositoryName } from './docker/reference.js'
import { parseGrowth, parseSize, type Growth } from './size/units.js'
import type { BuildOptions } from './build/args.js'
import {
  asInput,
  fail,
  InputError,
  parseBoolean,
  parseDuration,
  parseEnum,
  parseExitCodes,
  parseKeyValues,
  parseNetwork,
  parsePlatforms,
  parseReference,
  resolvePath,
  splitArgs,
  type InputSource
} from './inputs/values.js'
import { listInput } from './inputs/types.js'
import { parseRunArgs } from './inputs/run-args.js'
import { maskLines, parseSecretFiles, parseSecrets, type Secret } from './inputs/secrets.js'
import { parseBuildOptions, refuseUnsupported } from './inputs/build.js'
import { gitAuthSecret, isRemoteContext, parseRemoteContext } from './inputs/context-url.js'
import { PROBE_FORMS, parseProbe, type Probe } from './inputs/probes.js'
import { FINDING_CODES, type FindingCode } from './findings.js'

export { InputError, isImageReference, normalizePlatform, parseDuration, parseKeyValues, splitArgs, type InputSource } from './inputs/values.js'
export { readList } from './inputs/list.js'
import { readList } from './inputs/list.js'
export { parseRunArgs } from './inputs/run-args.js'

export type TriState = 'auto' | 'true' | 'false'

export type PushMode = false | true | 'by-digest'

export interface Inputs {
  /** The build context: a directory, or a Git URL when `remoteContext`. */
  context: string
  /** The Dockerfile: a path on this machine, or (remote context) a path inside it, '' for its Dockerfile. */
  file: string
  /** The context is a Git URL: BuildKit fetches it, and the Dockerfile is not on this machine. */
  remoteContext: boolean
  target?: string
  platforms: string[]
  buildArgs: Record<string, string>
  labels: Record<string, string>
  tags: string[]
  /** Publish under every tag (`true`), or push each tested platform by digest alone and write its record (`by-digest`). */
  push: PushMode
  /** Where `push: by-digest` writes the platforms' records; undefined: the `record` output only. */
  recordDir?: string
  builder?: string
  noCache: boolean
  setupQemu: TriState
  qemuImage: string
  smoke: boolean
  smokeArgs?: string[]
  smokeTimeoutMs: number
  smokeExitCodes: number[]
  smokeNetwork: string
  smokeRunArgs: string[]
  /** The image's HEALTHCHECK decides when it has one (`auto`), is required (`true`), or is ignored (`false`). */
  smokeHealth: TriState
  smokeProbes: Probe[]
  probeImage: string
  maxSize?: number
  sizeMetric: 'disk' | 'compressed'
  compareTo?: string
  maxGrowth?: Growth
  failOnAdvice: boolean
  /** Dockerfile advice codes never reported. */
  ignoreAdvice: FindingCode[]
  cache: TriState
  cacheKey: string
  cacheTimeoutMs: number
  /** `secrets`, plus the `github-token` as GIT_AUTH_TOKEN.<host> for a Git context of the workflow's repository. */
  secrets: Secret[]
  secretFiles: { id: string; path: string }[]
  /** The options shared with docker/build-push-action. */
  build: BuildOptions
  /** Leave each image in the engine under the user's tags (docker/build-push-action's `load`). */
  load: boolean
  /** A shell command run on the runner after the start check, per passed platform, with IMAGE and PLATFORM set. */
  testCommand?: string
  /** Texts to mask in the log: every line of every secret value long enough to be masked. */
  masks: string[]
}

/** The codes of the Dockerfile advice, as `ignore-advice` and `--ignore` accept them. */
export const ADVICE_CODES = (Object.keys(FINDING_CODES) as FindingCode[]).filter((c) => FINDING_CODES[c].source === 'dockerfile')

/** A comma/newline list of Dockerfile advice codes; an unknown code names the known ones. */
export function parseAdviceCodes(input: string, value: string): FindingCode[] {
  const codes: FindingCode[] = []
  for (const item of readList(input, value)) {
    const code = item.toLowerCase()
    if (!(ADVICE_CODES as string[]).includes(code)) fail(input, item, `use codes of the Dockerfile advice: ${ADVICE_CODES.join(', ')}`)
    if (!codes.includes(code as FindingCode)) codes.push(code as FindingCode)
  }
  return codes
}

/** smoke-probe: one probe per line, or several separated by commas (a comma inside a path stays in it). */
export function parseProbes(input: string, value: string): Probe[] {
  const probes: Probe[] = []
  const items = readList(input, value, { ignoreComma: true }).flatMap((line) => line.split(/,(?=\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/)/).map((x) => x.trim()))
  for (const item of items) {
    if (!item) continue
    const probe = parseProbe(item)
    if ('error' in probe) fail(input, item, `${probe.error}; ${PROBE_FORMS}`)
    if (!probes.some((p) => p.text === probe.text)) probes.push(probe)
  }
  return probes
}

/** `push`: a boolean as before, or `by-digest`. */
export function parsePushMode(value: string): PushMode {
  if (value.trim().toLowerCase() === 'by-digest') return 'by-digest'
  try {
    return parseBoolean('push', value, false)
  } catch {
    return fail('push', value, 'use true, false or by-digest')
  }
}

/** With `push: by-digest`, `tags` names the one repository the platforms are pushed to; a tag part is ignored. */
function checkByDigestTags(tags: readonly string[]): void {
  const repositories = new Set<string>()
  for (const t of tags) repositories.add(repositoryName(parseImageRef(t)!).toLowerCase())
  if (repositories.size > 1)
    fail(
      'tags',
      tags.join(','),
      `with push: by-digest, name one repository (the merge tags the list); these name ${repositories.size}: ${[...repositories].join(', ')}`
    )
}

/**
 * A directory the run writes into, created when missing. Relative paths are taken from the workspace and must
 * stay inside it; an existing file there is refused.
 */
export function resolveOutputDir(input: string, value: string, workspace: string): string {
  const resolved = path.resolve(workspace, value)
  if (!path.isAbsolute(value)) {
    const rel = path.relative(workspace, resolved)
    if (rel.startsWith('..') || path.isAbsolute(rel))
      fail(input, value, `a relative path must stay inside the workspace ${workspace}; write an absolute path to use one outside it`)
  }
  if (fs.existsSync(resolved) && !fs.statSync(resolved).isDirectory())
    fail(input, value, `${resolved} is not a directory; name a directory (it is created when missing)`)
  return resolved
}

function readContext(get: InputSource, workspace: string, env: NodeJS.ProcessEnv): { context: string; file: string; remoteContext: boolean } {
  const raw = get('context').trim() || '.'
  if (isRemoteContext(raw)) {
    const file = get('file').trim()
    if (file !== '' && (path.isAbsolute(file) || file.split(/[\\/]/).includes('..'))) {
      fail('file', file, 'with a Git context, file is a path inside the repository (relative, without ".."); leave it empty for its Dockerfile')
    }
    return { context: parseRemoteContext('context', raw, env), file, remoteContext: true }
  }
  const context = resolvePath('context', raw, workspace, 'directory')
  // The default Dockerfile of a context in the workspace is held to the workspace like a relative path.
  const inWorkspace = !path.relative(workspace, context).startsWith('..') && !path.isAbsolute(path.relative(workspace, context))
  const defaultFile = inWorkspace ? path.relative(workspace, path.join(context, 'Dockerfile')) : path.join(context, 'Dockerfile')
  const file = get('file') ? resolvePath('file', get('file'), workspace, 'file') : resolvePath('file', defaultFile, workspace, 'file')
  return { context, file, remoteContext: false }
}

/** Reads and validates every input. Throws an InputError on the first bad one. */
export function parseInputs(get: InputSource, workspace: string, env: NodeJS.ProcessEnv = process.env): Inputs {
  refuseUnsupported(get)
  const { context, file, remoteContext } = readContext(get, workspace, env)
  const target = get('target').trim() || undefined
  if (target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target))
    fail('target', target, 'use the name of a build stage (letters, digits, "_", "." or "-")')
  const builder = get('builder').trim() || undefined
  if (builder !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(builder)) fail('builder', builder, 'use the name of a buildx builder')
  const push = parsePushMode(get('push'))
  const tags = listInput(get, 'tags').map((t) => parseReference('tags', t, { tagOnly: true }))
  if (push && tags.length === 0) throw new InputError('tags', `Input "tags": empty, but push is ${push}; give at least one image reference to publish to`)
  if (push === 'by-digest') checkByDigestTags(tags)
  const recordDir = get('record-dir').trim() ? resolveOutputDir('record-dir', get('record-dir').trim(), workspace) : undefined
  if (recordDir !== undefined && push !== 'by-digest')
    fail('record-dir', get('record-dir'), 'records are written by push: by-digest only; set push: by-digest, or leave record-dir empty')
  const smokeArgsRaw = get('smoke-args')
  const secrets = parseSecrets('secrets', get('secrets'))
  const token = get('github-token').trim()
  const gitToken = remoteContext
    ? gitAuthSecret(
        context,
        token,
        env,
        secrets.map((s) => s.id)
      )
    : undefined
  if (gitToken) secrets.push(gitToken)
  const build = parseBuildOptions(get, workspace, env)
  const inputs: Inputs = {
    context,
    file,
    remoteContext,
    target,
    platforms: parsePlatforms('platforms', listInput(get, 'platforms')),
    buildArgs: parseKeyValues('build-args', listInput(get, 'build-args')),
    labels: parseKeyValues('labels', listInput(get, 'labels')),
    tags,
    push,
    recordDir,
    builder,
    noCache: parseBoolean('no-cache', get('no-cache'), false),
    setupQemu: parseEnum('setup-qemu', get('setup-qemu'), ['auto', 'true', 'false'] as const, 'auto'),
    qemuImage: parseReference('qemu-image', get('qemu-image') || 'tonistiigi/binfmt:latest'),
    smoke: parseBoolean('smoke', get('smoke'), true),
    smokeArgs: smokeArgsRaw.trim() ? splitArgs('smoke-args', smokeArgsRaw) : undefined,
    smokeTimeoutMs: parseDuration('smoke-timeout', get('smoke-timeout') || '10s'),
    smokeExitCodes: parseExitCodes('smoke-exit-codes', listInput(get, 'smoke-exit-codes')),
    smokeNetwork: parseNetwork('smoke-network', get('smoke-network')),
    smokeRunArgs: parseRunArgs('smoke-run-args', get('smoke-run-args')),
    smokeHealth: parseEnum('smoke-health', get('smoke-health'), ['auto', 'true', 'false'] as const, 'auto'),
    smokeProbes: parseProbes('smoke-probe', get('smoke-probe')),
    probeImage: parseReference('probe-image', get('probe-image') || 'busybox:stable'),
    maxSize: get('max-size').trim() ? asInput('max-size', () => parseSize(get('max-size'), 'max-size')) : undefined,
    sizeMetric: parseEnum('size-metric', get('size-metric'), ['disk', 'compressed'] as const, 'disk'),
    compareTo: get('compare-to').trim() ? parseReference('compare-to', get('compare-to')) : undefined,
    maxGrowth: get('max-growth').trim() ? asInput('max-growth', () => parseGrowth(get('max-growth'), 'max-growth')) : undefined,
    failOnAdvice: parseBoolean('fail-on-advice', get('fail-on-advice'), false),
    ignoreAdvice: parseAdviceCodes('ignore-advice', get('ignore-advice')),
    cache: parseEnum('cache', get('cache'), ['auto', 'true', 'false'] as const, 'auto'),
    cacheKey: get('cache-key').trim(),
    cacheTimeoutMs: parseDuration('cache-timeout', get('cache-timeout') || '60s'),
    secrets,
    secretFiles: parseSecretFiles('secret-files', get('secret-files')).map(({ id, path: p }) => ({
      id,
      path: resolvePath('secret-files', p, workspace, 'file')
    })),
    build,
    load: parseBoolean('load', get('load'), false),
    testCommand: get('test-command').trim() || undefined,
    masks: [...secrets.flatMap((s) => maskLines(s.value)), ...build.secretEnvs.flatMap((s) => maskLines(env[s.env] ?? '')), ...(token ? maskLines(token) : [])]
  }
  if (inputs.maxGrowth && !inputs.compareTo)
    throw new InputError('max-growth', 'Input "max-growth": set, but compare-to is empty; name the baseline image to compare with')
  return inputs
}
