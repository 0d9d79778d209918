/** Platform strings (`os/arch[/variant]`) and what a `FROM --platform=` flag means for a build. */

/** Canonical form: `linux/arm64/v8` → `linux/arm64`, `linux/arm` → `linux/arm/v7`, `arm64` → `linux/arm64`. */
export function normalizePlatform(platform: string): string {
  const parts = platform.trim().toLowerCase().split('/').filter(Boolean)
  if (parts.length === 1) parts.unshift('linux')
  const [os, arch, variant] = parts
  if (arch === 'arm64' || arch === 'aarch64') return variant && variant !== 'v8' ? `${os}/arm64/${variant}` : `${os}/arm64`
  if (arch === 'amd64' || arch === 'x86_64') return variant && variant !== 'v1' ? `${os}/amd64/${variant}` : `${os}/amd64`
  if (arch === 'arm') return `${os}/arm/${variant ?? 'v7'}`
  return [os, arch, variant].filter(Boolean).join('/')
}

/** Whether two platform strings name the same platform. */
export function samePlatform(a: string, b: string): boolean {
  return normalizePlatform(a) === normalizePlatform(b)
}

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
  return { kind: 'fixed', platform: normalizePlatform(flag) }
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
