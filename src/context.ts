/**
 * Every input, read and validated in one place before anything runs. Each failure names the input,
 * the bad value and what is accepted.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { canonicalPlatform } from './docker/platform.js'
import { parseImageRef, repositoryName } from './docker/reference.js'
import { FINDING_CODES, type FindingCode } from './findings.js'
import { parseGrowth, parseSize, type Growth } from './size/units.js'

export type TriState = 'auto' | 'true' | 'false'

export type PushMode = false | true | 'by-digest'

export interface Inputs {
  context: string
  file: string
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
  secrets: { id: string; value: string }[]
  secretFiles: { id: string; path: string }[]
}

export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(message)
    this.name = 'InputError'
  }
}

/** Reads one raw input by its action.yml name; returns '' when it is not set. */
export type InputSource = (name: string) => string

/** Splits a list input on newlines and commas, trimming, dropping empty items. */
export function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** Splits on newlines only (values may hold commas): build args, labels, secrets, run args. */
export function splitLines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !s.startsWith('#'))
}

function fail(input: string, value: string, accepted: string): never {
  throw new InputError(input, `Input "${input}": ${JSON.stringify(value)} is not valid; ${accepted}`)
}

export function parseBoolean(input: string, value: string, fallback: boolean): boolean {
  const v = value.trim()
  if (v === '') return fallback
  if (/^(true|yes|on|1)$/i.test(v)) return true
  if (/^(false|no|off|0)$/i.test(v)) return false
  return fail(input, value, 'use true or false')
}

export function parseEnum<T extends string>(input: string, value: string, allowed: readonly T[], fallback: T): T {
  const v = value.trim().toLowerCase()
  if (v === '') return fallback
  if ((allowed as readonly string[]).includes(v)) return v as T
  return fail(input, value, `use one of: ${allowed.join(', ')}`)
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `500ms`, `10s`, `2m`, `1m30s`, `1h`; a plain number is seconds. */
export function parseDuration(input: string, value: string): number {
  const v = value.trim()
  const accepted = 'use a duration such as 500ms, 10s, 2m or 1m30s (a plain number is seconds), greater than zero'
  if (/^\d+(\.\d+)?$/.test(v)) {
    const ms = Number(v) * 1000
    return ms > 0 ? ms : fail(input, value, accepted)
  }
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (v === '' || parts.map((p) => p[0]).join('') !== v) return fail(input, value, accepted)
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * DURATION_UNITS[unit], 0)
  if (!(ms > 0) || ms > 24 * 3_600_000) return fail(input, value, accepted)
  return Math.round(ms)
}

const PLATFORM_ARCHES: Record<string, readonly string[]> = {
  amd64: ['', 'v1', 'v2', 'v3', 'v4'],
  arm64: ['', 'v8'],
  arm: ['v5', 'v6', 'v7'],
  '386': [''],
  ppc64le: [''],
  s390x: [''],
  riscv64: [''],
  mips64le: [''],
  mips64: [''],
  loong64: ['']
}
/** Normalizes `os/arch[/variant]` the way the engine does: `linux/arm` → `linux/arm/v7`, `linux/arm64/v8` → `linux/arm64`. */
export function normalizePlatform(input: string, value: string): string {
  const accepted = `use os/arch[/variant] with os linux and arch one of ${Object.keys(PLATFORM_ARCHES).join(', ')} (for example linux/amd64, linux/arm64, linux/arm/v7)`
  const parts = value.trim().toLowerCase().split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return fail(input, value, accepted)
  const canonical = canonicalPlatform(value)
  const [os, arch, variant = ''] = canonical.split('/')
  const variants = PLATFORM_ARCHES[arch]
  if (os !== 'linux' || !variants) return fail(input, value, accepted)
  if (!variants.includes(variant)) {
    return fail(input, value, `variant "${parts[2] ?? ''}" is not one of ${arch}'s (${variants.filter(Boolean).join(', ') || 'none'}); ${accepted}`)
  }
  return canonical
}

export function parsePlatforms(input: string, value: string): string[] {
  const list = splitList(value).map((p) => normalizePlatform(input, p))
  const seen = new Set<string>()
  for (const p of list) {
    if (seen.has(p)) fail(input, value, `${p} is listed twice; list each platform once`)
    seen.add(p)
  }
  return list
}

// The reference grammar of the distribution project: [host[:port]/]path[:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`)

export function isImageReference(value: string): boolean {
  const m = REFERENCE.exec(value)
  if (m === null || m[1].length > 255) return false
  // Like the engine: a first component without "." or ":" (and not localhost) is a path, so lower-case.
  const [first, ...rest] = m[1].split('/')
  const isDomain = rest.length > 0 && (/[.:]/.test(first) || first === 'localhost' || first.startsWith('['))
  return isDomain || /^[a-z0-9._-]+$/.test(first)
}

export function parseReference(input: string, value: string): string {
  const v = value.trim()
  if (!isImageReference(v)) {
    fail(input, value, 'use an image reference such as ghcr.io/owner/app:1.2.3 or user/app:latest (lower-case name, tag of letters, digits, ".", "_" or "-")')
  }
  return v
}

export function parseKeyValues(input: string, value: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of splitLines(value)) {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(key)) fail(input, line, 'use KEY=VALUE, one per line (KEY of letters, digits, "_", ".", "-" or "/")')
    out[key] = line.slice(eq + 1)
  }
  return out
}

/** The codes of the Dockerfile advice, as `ignore-advice` and `--ignore` accept them. */
export const ADVICE_CODES = (Object.keys(FINDING_CODES) as FindingCode[]).filter((c) => FINDING_CODES[c].source === 'dockerfile')

/** A comma/newline list of Dockerfile advice codes; an unknown code names the known ones. */
export function parseAdviceCodes(input: string, value: string): FindingCode[] {
  const codes: FindingCode[] = []
  for (const item of splitList(value)) {
    const code = item.toLowerCase()
    if (!(ADVICE_CODES as string[]).includes(code)) fail(input, item, `use codes of the Dockerfile advice: ${ADVICE_CODES.join(', ')}`)
    if (!codes.includes(code as FindingCode)) codes.push(code as FindingCode)
  }
  return codes
}

export function parseExitCodes(input: string, value: string): number[] {
  return splitList(value).map((s) => {
    if (!/^\d{1,3}$/.test(s) || Number(s) > 255) fail(input, s, 'use exit codes from 0 to 255, separated by commas')
    return Number(s)
  })
}

const SAFE_NETWORK = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

export function parseNetwork(input: string, value: string): string {
  const v = value.trim() || 'none'
  if (!SAFE_NETWORK.test(v) || v.startsWith('container')) fail(input, value, 'use none, bridge, host or the name of a network')
  return v
}

/** Options a user may not add to the start check: they would give the image power over the host. */
const FORBIDDEN_RUN_OPTIONS = [
  '--privileged',
  '--cap-add',
  '--device',
  '--volume',
  '-v',
  '--mount',
  '--volumes-from',
  '--pid',
  '--ipc',
  '--uts',
  '--userns',
  '--security-opt',
  '--cgroupns',
  '--network',
  '--net',
  '--rm',
  '--name',
  '--detach',
  '-d',
  '--platform',
  '--entrypoint'
]

/** `docker run` options, one per line, each passed as separate arguments (never through a shell). */
export function parseRunArgs(input: string, value: string): string[] {
  const args: string[] = []
  for (const line of splitLines(value)) {
    if (!/^--?[A-Za-z]/.test(line)) fail(input, line, 'use docker run options, one per line, such as --env=KEY=VALUE or --user=1000')
    const eq = line.indexOf('=')
    const space = line.search(/\s/)
    const cut = [eq, space].filter((i) => i > 0)
    const name = cut.length ? line.slice(0, Math.min(...cut)) : line
    if (FORBIDDEN_RUN_OPTIONS.includes(name)) {
      fail(input, line, `${name} is not allowed in the start check (the sandbox sets it, or it would give the image access to the host); use smoke-network for the network`)
    }
    if (eq > 0 && (space < 0 || eq < space)) args.push(line)
    else if (space > 0) args.push(line.slice(0, space), line.slice(space).trim())
    else args.push(line)
  }
  return args
}

export function parseSecrets(input: string, value: string): { id: string; value: string }[] {
  return splitLines(value).map((line) => {
    const eq = line.indexOf('=')
    const id = eq > 0 ? line.slice(0, eq) : ''
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) {
      // The value may be a secret: never echo it.
      throw new InputError(input, `Input "${input}": a line is not id=value (id of letters, digits, "_", "." or "-"); the value is not shown`)
    }
    return { id, value: line.slice(eq + 1) }
  })
}

/** Shell-like split of smoke-args: whitespace separates, single and double quotes group. */
export function splitArgs(input: string, value: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: '"' | "'" | null = null
  let has = false
  for (const ch of value) {
    if (quote) {
      if (ch === quote) quote = null
      else cur += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      has = true
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur)
      cur = ''
      has = false
    } else {
      cur += ch
    }
  }
  if (quote) fail(input, value, 'close every quote')
  if (has || cur) out.push(cur)
  return out
}

/**
 * Resolves a path input. Relative paths are taken from the workspace and must stay inside it;
 * an absolute path is an explicit choice and is taken as written.
 */
export function resolvePath(input: string, value: string, workspace: string, kind: 'directory' | 'file'): string {
  const resolved = path.resolve(workspace, value)
  if (!path.isAbsolute(value)) {
    const rel = path.relative(workspace, resolved)
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      fail(input, value, `a relative path must stay inside the workspace ${workspace}; write an absolute path to use one outside it`)
    }
  }
  let stat: fs.Stats
  try {
    stat = fs.statSync(resolved)
  } catch {
    return fail(input, value, `no ${kind} at ${resolved}; give the path of an existing ${kind}`)
  }
  if (kind === 'directory' ? !stat.isDirectory() : !stat.isFile()) fail(input, value, `${resolved} is not a ${kind}`)
  return resolved
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
  for (const t of tags) {
    const ref = parseImageRef(t)!
    if (ref.digest) fail('tags', t, 'with push: by-digest, name the repository to push to (a tag part is ignored), not a digest')
    repositories.add(repositoryName(ref).toLowerCase())
  }
  if (repositories.size > 1) fail('tags', tags.join(','), `with push: by-digest, name one repository (the merge tags the list); these name ${repositories.size}: ${[...repositories].join(', ')}`)
}

/**
 * A directory the run writes into, created when missing. Relative paths are taken from the workspace and must
 * stay inside it; an existing file there is refused.
 */
export function resolveOutputDir(input: string, value: string, workspace: string): string {
  const resolved = path.resolve(workspace, value)
  if (!path.isAbsolute(value)) {
    const rel = path.relative(workspace, resolved)
    if (rel.startsWith('..') || path.isAbsolute(rel)) fail(input, value, `a relative path must stay inside the workspace ${workspace}; write an absolute path to use one outside it`)
  }
  if (fs.existsSync(resolved) && !fs.statSync(resolved).isDirectory()) fail(input, value, `${resolved} is not a directory; name a directory (it is created when missing)`)
  return resolved
}

/** Runs a parser from elsewhere, turning its error into an InputError for `input`. */
function asInput<T>(input: string, parse: () => T): T {
  try {
    return parse()
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(input, (e as Error).message)
  }
}

/** Reads and validates every input. Throws an InputError on the first bad one. */
export function parseInputs(get: InputSource, workspace: string): Inputs {
  const context = resolvePath('context', get('context') || '.', workspace, 'directory')
  const file = get('file') ? resolvePath('file', get('file'), workspace, 'file') : resolvePath('file', path.join(context, 'Dockerfile'), workspace, 'file')
  const target = get('target').trim() || undefined
  if (target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)) fail('target', target, 'use the name of a build stage (letters, digits, "_", "." or "-")')
  const builder = get('builder').trim() || undefined
  if (builder !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(builder)) fail('builder', builder, 'use the name of a buildx builder')
  const push = parsePushMode(get('push'))
  const tags = splitList(get('tags')).map((t) => parseReference('tags', t))
  if (push && tags.length === 0) throw new InputError('tags', `Input "tags": empty, but push is ${push}; give at least one image reference to publish to`)
  if (push === 'by-digest') checkByDigestTags(tags)
  const recordDir = get('record-dir').trim() ? resolveOutputDir('record-dir', get('record-dir').trim(), workspace) : undefined
  if (recordDir !== undefined && push !== 'by-digest') fail('record-dir', get('record-dir'), 'records are written by push: by-digest only; set push: by-digest, or leave record-dir empty')
  const smokeArgsRaw = get('smoke-args')
  const inputs: Inputs = {
    context,
    file,
    target,
    platforms: parsePlatforms('platforms', get('platforms')),
    buildArgs: parseKeyValues('build-args', get('build-args')),
    labels: parseKeyValues('labels', get('labels')),
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
    smokeExitCodes: parseExitCodes('smoke-exit-codes', get('smoke-exit-codes')),
    smokeNetwork: parseNetwork('smoke-network', get('smoke-network')),
    smokeRunArgs: parseRunArgs('smoke-run-args', get('smoke-run-args')),
    maxSize: get('max-size').trim() ? asInput('max-size', () => parseSize(get('max-size'), 'max-size')) : undefined,
    sizeMetric: parseEnum('size-metric', get('size-metric'), ['disk', 'compressed'] as const, 'disk'),
    compareTo: get('compare-to').trim() ? parseReference('compare-to', get('compare-to')) : undefined,
    maxGrowth: get('max-growth').trim() ? asInput('max-growth', () => parseGrowth(get('max-growth'), 'max-growth')) : undefined,
    failOnAdvice: parseBoolean('fail-on-advice', get('fail-on-advice'), false),
    ignoreAdvice: parseAdviceCodes('ignore-advice', get('ignore-advice')),
    cache: parseEnum('cache', get('cache'), ['auto', 'true', 'false'] as const, 'auto'),
    cacheKey: get('cache-key').trim(),
    cacheTimeoutMs: parseDuration('cache-timeout', get('cache-timeout') || '60s'),
    secrets: parseSecrets('secrets', get('secrets')),
    secretFiles: parseSecrets('secret-files', get('secret-files')).map(({ id, value }) => ({
      id,
      path: resolvePath('secret-files', value, workspace, 'file')
    }))
  }
  if (inputs.maxGrowth && !inputs.compareTo) throw new InputError('max-growth', 'Input "max-growth": set, but compare-to is empty; name the baseline image to compare with')
  return inputs
}
