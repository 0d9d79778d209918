/** Pure platform arithmetic: slugs, native sets, QEMU handler names. */

const UNAME_TO_ARCH: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm', armhf: 'arm', i686: '386', i386: '386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' }

export function hostPlatform(os: string, machine: string): string {
  const arch = UNAME_TO_ARCH[machine] ?? machine
  return arch === 'arm' ? `${os}/arm/v7` : `${os}/${arch}`
}

/** Architecture names other tools use, as the engine names them. */
export const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: 'amd64', x86: '386', i386: '386', aarch64: 'arm64', armhf: 'arm', armel: 'arm' }

/**
 * The canonical form the engine uses: `linux/arm64/v8` → `linux/arm64`, `linux/arm` → `linux/arm/v7`,
 * `linux/armel` → `linux/arm/v6`, `linux/x86_64` → `linux/amd64`, `arm64` → `linux/arm64`. Does not validate.
 */
export function canonicalPlatform(platform: string): string {
  const parts = platform.trim().toLowerCase().split('/').filter(Boolean)
  if (parts.length === 1) parts.unshift('linux')
  const [os, rawArch, rawVariant = ''] = parts
  const arch = ARCH_ALIASES[rawArch] ?? rawArch
  let variant = rawVariant
  if (arch === 'arm' && variant === '') variant = rawArch === 'armel' ? 'v6' : 'v7'
  if ((arch === 'arm64' && variant === 'v8') || (arch === 'amd64' && variant === 'v1')) variant = ''
  return [os, arch, variant].filter(Boolean).join('/')
}

/** Whether two platform strings name the same platform. */
export function samePlatform(a: string, b: string): boolean {
  return canonicalPlatform(a) === canonicalPlatform(b)
}

/** `linux/arm/v7` → `linux-arm-v7`: safe in tags and container names. */
export function platformSlug(platform: string): string {
  return platform.replace(/\//g, '-')
}

/** Platforms a host runs without emulation. */
export function nativePlatforms(host: string): string[] {
  switch (host) {
    case 'linux/amd64':
      return ['linux/amd64', 'linux/386']
    case 'linux/arm64':
      return ['linux/arm64', 'linux/arm/v7', 'linux/arm/v6']
    default:
      return [host]
  }
}

export function isNative(platform: string, host: string): boolean {
  const base = platform.replace(/^(linux\/amd64)\/v[1-4]$/, '$1')
  return nativePlatforms(host).includes(base)
}

/** The QEMU user-mode emulator that runs binaries of a platform (the binfmt_misc handler's name). */
export function qemuArch(platform: string): string | undefined {
  const arch = platform.split('/')[1]
  const table: Record<string, string> = {
    amd64: 'x86_64',
    arm64: 'aarch64',
    arm: 'arm',
    '386': 'i386',
    ppc64le: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    mips64le: 'mips64el',
    mips64: 'mips64',
    loong64: 'loongarch64'
  }
  return table[arch]
}

/** The name the binfmt installer image takes for a platform (`--install arm64,arm`). */
export function binfmtName(platform: string): string {
  return platform.split('/')[1]
}
