/**
 * Platforms in one place: the table of architectures (their names elsewhere, variants, ELF machine and word
 * size, QEMU emulator, library directories), and the pure arithmetic on `os/arch[/variant]` strings every other
 * module uses — normalizing, matching, slugs, native sets.
 */

export interface Architecture {
  /** The engine's name: `amd64`, `arm64`, `arm`. */
  arch: string
  /** Variants the engine accepts; `''` for none. The first is the default. */
  variants: readonly string[]
  /** Other names for it (`uname -m`, Debian, Go). */
  aliases: readonly string[]
  /** Accepted in the `platforms` input. */
  buildable: boolean
  /** The ELF header of its binaries. */
  elf: { machine: number; bits: 32 | 64; endian: 'little' | 'big' }
  /** The QEMU user-mode emulator (and binfmt_misc handler) name. */
  qemu?: string
  /** Debian's multiarch directory for glibc libraries (hard-float for arm). */
  multiarch?: string
  /** The architecture part of musl's loader name, `ld-musl-<x>.so.1`. */
  musl?: string
}

export const ARCHITECTURES: readonly Architecture[] = [
  {
    arch: 'amd64',
    variants: ['', 'v1', 'v2', 'v3', 'v4'],
    aliases: ['x86_64', 'x86-64'],
    buildable: true,
    elf: { machine: 62, bits: 64, endian: 'little' },
    qemu: 'x86_64',
    multiarch: 'x86_64-linux-gnu',
    musl: 'x86_64'
  },
  {
    arch: '386',
    variants: [''],
    aliases: ['i386', 'i686', 'x86'],
    buildable: true,
    elf: { machine: 3, bits: 32, endian: 'little' },
    qemu: 'i386',
    multiarch: 'i386-linux-gnu',
    musl: 'i386'
  },
  {
    arch: 'arm64',
    variants: ['', 'v8'],
    aliases: ['aarch64'],
    buildable: true,
    elf: { machine: 183, bits: 64, endian: 'little' },
    qemu: 'aarch64',
    multiarch: 'aarch64-linux-gnu',
    musl: 'aarch64'
  },
  {
    arch: 'arm',
    variants: ['v7', 'v6', 'v5'],
    aliases: ['armv7l', 'armhf', 'armel'],
    buildable: true,
    elf: { machine: 40, bits: 32, endian: 'little' },
    qemu: 'arm',
    multiarch: 'arm-linux-gnueabihf',
    musl: 'armhf'
  },
  {
    arch: 'ppc64le',
    variants: [''],
    aliases: [],
    buildable: true,
    elf: { machine: 21, bits: 64, endian: 'little' },
    qemu: 'ppc64le',
    multiarch: 'powerpc64le-linux-gnu',
    musl: 'powerpc64le'
  },
  {
    arch: 'ppc64',
    variants: [''],
    aliases: [],
    buildable: false,
    elf: { machine: 21, bits: 64, endian: 'big' },
    qemu: 'ppc64',
    multiarch: 'powerpc64-linux-gnu',
    musl: 'powerpc64'
  },
  {
    arch: 's390x',
    variants: [''],
    aliases: [],
    buildable: true,
    elf: { machine: 22, bits: 64, endian: 'big' },
    qemu: 's390x',
    multiarch: 's390x-linux-gnu',
    musl: 's390x'
  },
  {
    arch: 'riscv64',
    variants: [''],
    aliases: [],
    buildable: true,
    elf: { machine: 243, bits: 64, endian: 'little' },
    qemu: 'riscv64',
    multiarch: 'riscv64-linux-gnu',
    musl: 'riscv64'
  },
  {
    arch: 'mips64le',
    variants: [''],
    aliases: ['mips64el'],
    buildable: true,
    elf: { machine: 8, bits: 64, endian: 'little' },
    qemu: 'mips64el',
    multiarch: 'mips64el-linux-gnuabi64',
    musl: 'mips64el'
  },
  {
    arch: 'mips64',
    variants: [''],
    aliases: [],
    buildable: true,
    elf: { machine: 8, bits: 64, endian: 'big' },
    qemu: 'mips64',
    multiarch: 'mips64-linux-gnuabi64',
    musl: 'mips64'
  },
  {
    arch: 'mipsle',
    variants: [''],
    aliases: ['mipsel'],
    buildable: false,
    elf: { machine: 8, bits: 32, endian: 'little' },
    qemu: 'mipsel',
    multiarch: 'mipsel-linux-gnu',
    musl: 'mipsel'
  },
  {
    arch: 'mips',
    variants: [''],
    aliases: [],
    buildable: false,
    elf: { machine: 8, bits: 32, endian: 'big' },
    qemu: 'mips',
    multiarch: 'mips-linux-gnu',
    musl: 'mips'
  },
  {
    arch: 'loong64',
    variants: [''],
    aliases: ['loongarch64'],
    buildable: true,
    elf: { machine: 258, bits: 64, endian: 'little' },
    qemu: 'loongarch64',
    multiarch: 'loongarch64-linux-gnu',
    musl: 'loongarch64'
  }
]

/** The architecture a name means (the engine's own, or an alias). */
export function architecture(name: string): Architecture | undefined {
  const n = name.toLowerCase()
  return ARCHITECTURES.find((a) => a.arch === n || a.aliases.includes(n))
}

/** The architecture whose binaries have this ELF header. */
export function architectureOfElf(machine: number, bits: 32 | 64, endian: 'little' | 'big'): Architecture | undefined {
  return ARCHITECTURES.find((a) => a.elf.machine === machine && a.elf.bits === bits && a.elf.endian === endian)
}

export function hostPlatform(os: string, machine: string): string {
  const arch = architecture(machine)?.arch ?? machine
  return arch === 'arm' ? `${os}/arm/v7` : `${os}/${arch}`
}

/**
 * The canonical form the engine uses: `linux/arm64/v8` → `linux/arm64`, `linux/arm` → `linux/arm/v7`,
 * `linux/armel` → `linux/arm/v6`, `linux/x86_64` → `linux/amd64`, `arm64` → `linux/arm64`. Does not validate.
 */
export function canonicalPlatform(platform: string): string {
  const parts = platform.trim().toLowerCase().split('/').filter(Boolean)
  if (parts.length === 1) parts.unshift('linux')
  const [os, rawArch, rawVariant = ''] = parts
  const arch = architecture(rawArch)?.arch ?? rawArch
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
  return architecture(platform.split('/')[1] ?? '')?.qemu
}

/** The name the binfmt installer image takes for a platform (`--install arm64,arm`). */
export function binfmtName(platform: string): string {
  return platform.split('/')[1]
}
