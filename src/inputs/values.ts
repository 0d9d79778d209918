/**
 * The value parsers every input is made of: booleans, enums, durations, platforms, image
 * references, KEY=VALUE pairs, paths. Each failure is an InputError that names the input, quotes
 * the bad value and says what is accepted. Pure, apart from `resolvePath`'s look at the disk.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ARCHITECTURES, canonicalPlatform } from '../docker/platform.js'
import { isImageReference } from '../docker/reference.js'

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

export function fail(input: string, value: string, accepted: string): never {
  throw new InputError(input, `Input "${input}": ${JSON.stringify(value)} is not valid; ${accepted}`)
}

/** Splits on newlines only, trimming, dropping empty lines and `#` comments. */
export function splitLines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !s.startsWith('#'))
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

/** The architectures the platforms input accepts, with their variants (`''`: none), from the one table. */
const PLATFORM_ARCHES: Record<string, readonly string[]> = Object.fromEntries(ARCHITECTURES.filter((a) => a.buildable).map((a) => [a.arch, a.variants]))
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

export function parsePlatforms(input: string, items: string[]): string[] {
  const list = items.map((p) => normalizePlatform(input, p))
  const seen = new Set<string>()
  for (const p of list) {
    if (seen.has(p)) fail(input, p, `${p} is listed twice; list each platform once`)
    seen.add(p)
  }
  return list
}

export { isImageReference }

const REFERENCE_HELP = 'use an image reference such as ghcr.io/owner/app:1.2.3 or user/app:latest (lower-case name, tag of letters, digits, ".", "_" or "-")'

/** An image reference; with `tagOnly`, one that can be pushed to: a name and a tag, no `@digest`. */
export function parseReference(input: string, value: string, options: { tagOnly?: boolean } = {}): string {
  const v = value.trim()
  const first = v.split('/')[0]
  // The grammar takes a first component with capitals for a registry host; without a "." or a port it is a typo.
  const strayHost = v.includes('/') && first !== first.toLowerCase() && !/[.:]/.test(first)
  if (!isImageReference(v) || strayHost) fail(input, value, REFERENCE_HELP)
  if (options.tagOnly && v.includes('@')) {
    fail(
      input,
      value,
      'a tag to publish cannot hold a digest (@sha256:…): a registry gives a pushed manifest its digest, so name it by a tag such as ghcr.io/owner/app:1.2.3'
    )
  }
  return v
}

export function parseKeyValues(input: string, items: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of items) {
    if (line.startsWith('#')) continue
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(key)) {
      // A value may be a credential: only the part before "=" is quoted back.
      const shown = eq >= 0 ? `${line.slice(0, eq)}=…` : '(a line without "=")'
      fail(input, shown, 'use KEY=VALUE, one per line (KEY of letters, digits, "_", ".", "-" or "/"); the value is not shown')
    }
    out[key] = line.slice(eq + 1)
  }
  return out
}

export function parseExitCodes(input: string, items: string[]): number[] {
  return items.map((s) => {
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
export function resolvePath(input: string, value: string, workspace: string, kind: 'directory' | 'file' | 'path'): string {
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
    const what = kind === 'path' ? 'file or socket' : kind
    return fail(input, value, `no ${what} at ${resolved}; give the path of an existing ${what}`)
  }
  if ((kind === 'directory' && !stat.isDirectory()) || (kind === 'file' && !stat.isFile())) fail(input, value, `${resolved} is not a ${kind}`)
  // A relative path reached through a symbolic link must stay inside the workspace too: the build and the
  // advice then read the same file, and a link in a pull request cannot point the run at the host's files.
  const real = fs.realpathSync(resolved)
  if (!path.isAbsolute(value)) {
    const root = fs.realpathSync(workspace)
    const rel = path.relative(root, real)
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      fail(
        input,
        value,
        `${resolved} is a symbolic link to ${real}, outside the workspace ${workspace}; name a ${kind === 'path' ? 'file' : kind} inside the workspace, or write the absolute path to use one outside it`
      )
    }
  }
  return resolved
}

/** Runs a parser from elsewhere, turning its error into an InputError for `input`. */
export function asInput<T>(input: string, parse: () => T): T {
  try {
    return parse()
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(input, (e as Error).message)
  }
}
