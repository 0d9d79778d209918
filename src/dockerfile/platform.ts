/** Platform strings (`os/arch[/variant]`) and what a `FROM --platform=` flag means for a build. */

import { samePlatform, canonicalPlatform } from '../docker/platform.js'

export { canonicalPlatform as normalizePlatform, samePlatform }

/**
 * Where a stage's instructions run:
 * - `build`: the builder's own platform (`--platform=$BUILDPLATFORM`): never emulated;
 * - `target`: the platform being built (no flag, or `$TARGETPLATFORM`): emulated when that platform is not native;
 * - `fixed`: one literal platform (`--platform=linux/amd64`).
 */
export type StagePlatform = { kind: 'build' } | { kind: 'target' } | { kind: 'fixed'; platform: string }

/** Reads a `--platform` flag value (variables not yet expanded), or its absence. */
export function classifyPlatformFlag(flag: string | undefined): StagePlatform {
  if (flag === undefined || flag.trim() === '') return { kind: 'target' }
  if (/\$\{?BUILD(PLATFORM|OS|ARCH|VARIANT)\b/.test(flag)) return { kind: 'build' }
  if (flag.includes('$')) return { kind: 'target' }
  return { kind: 'fixed', platform: canonicalPlatform(flag) }
}

/** The requested platforms whose instructions would run under emulation in a stage placed as `placement`. */
export function emulatedPlatforms(placement: StagePlatform, requested: string[], native: string[]): string[] {
  const isNative = (p: string): boolean => native.some((n) => samePlatform(n, p))
  switch (placement.kind) {
    case 'build':
      return []
    case 'fixed':
      return isNative(placement.platform) ? [] : [placement.platform]
    case 'target':
      return requested.filter((p) => !isNative(p))
  }
}

/** The platforms a build is for, and the builder's own (what `$BUILDPLATFORM` means). */
export interface PlatformScope {
  targets: string[]
  build?: string
}

/** `linux/arm/v7` → `{ OS: 'linux', ARCH: 'arm', VARIANT: 'v7', PLATFORM: 'linux/arm/v7' }` under a prefix. */
function argsOf(prefix: 'TARGET' | 'BUILD', platform: string): Record<string, string> {
  const canonical = canonicalPlatform(platform)
  const [os = '', arch = '', variant = ''] = canonical.split('/')
  return { [`${prefix}PLATFORM`]: canonical, [`${prefix}OS`]: os, [`${prefix}ARCH`]: arch, [`${prefix}VARIANT`]: variant }
}

/** The automatic platform arguments BuildKit defines, one set per target platform. */
export function platformArgValues(scope: PlatformScope): Array<Record<string, string>> {
  const build = scope.build !== undefined ? argsOf('BUILD', scope.build) : {}
  return scope.targets.map((target) => ({ ...build, ...argsOf('TARGET', target) }))
}

/** CPU architecture names as images, tarballs and toolchains spell them (`amd64`, `x86_64`, `aarch64`, `arm32v7`…). */
const ARCH_WORDS = new Set([
  'amd64',
  'x86_64',
  'x64',
  'arm64',
  'aarch64',
  'arm64v8',
  'arm',
  'armhf',
  'armel',
  'armv6',
  'armv7',
  'armv7l',
  'arm32v6',
  'arm32v7',
  '386',
  'i386',
  'i686',
  'x86',
  'ppc64le',
  's390x',
  'riscv64',
  'mips64le',
  'loong64'
])

/** Whether a value names one CPU architecture or one platform (`amd64`, `linux/arm64`). */
export function isArchitectureValue(value: string): boolean {
  const v = value.trim().toLowerCase()
  return ARCH_WORDS.has(v) || /^[a-z]+\/[a-z0-9_]+(\/v\d+)?$/.test(v)
}

const ARCH_SPELLINGS: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64v8: 'arm64',
  armv6: 'arm',
  armv7: 'arm',
  armv7l: 'arm',
  arm32v6: 'arm',
  arm32v7: 'arm',
  i686: '386'
}

/** The engine's name for the architecture a value names (`x86_64` → `amd64`, `linux/arm64` → `arm64`). */
export function architectureOf(value: string): string {
  const v = value.trim().toLowerCase()
  const word = v.includes('/') ? v.split('/')[1] : v
  return ARCH_SPELLINGS[word] ?? canonicalPlatform(word).split('/')[1]
}
