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
