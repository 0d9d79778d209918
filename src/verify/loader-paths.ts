/**
 * Facts about the binaries a platform runs and where their loader looks: the ELF machine and word
 * size of each platform, glibc and musl loader names, the multiarch directories, /etc/ld.so.conf
 * and musl's path file, and how $ORIGIN expands. Pure: it only reads through the {@link ImageFs}.
 */
import { architecture, architectureOfElf, ARCHITECTURES } from '../docker/platform.js'
import type { ElfInfo } from './elf.js'
import { normalizeImagePath, type ImageFs } from './rootfs.js'

/** What the machine and word size of a Docker platform's binaries are (from the one table of architectures). */
interface PlatformAbi {
  machineCode: number
  bits: 32 | 64
  endian: 'little' | 'big'
  arch: string
  variant?: string
}

export function platformAbi(platform: string): PlatformAbi | undefined {
  const [, name = '', variant] = platform.split('/')
  const a = architecture(name)
  return a ? { machineCode: a.elf.machine, bits: a.elf.bits, endian: a.elf.endian, arch: a.arch, variant } : undefined
}

/** Why an ELF file cannot run natively on `platform`, or undefined when it can. */
export function architectureMismatch(elf: ElfInfo, platform: string): string | undefined {
  const want = platformAbi(platform)
  if (!want) return undefined
  const built = elf.platform ?? elf.machine
  if (elf.machineCode !== want.machineCode) return `it is built for ${elf.machine} (${built}), but the image is ${platform}`
  if (elf.bits !== want.bits) return `it is a ${elf.bits}-bit ${elf.machine} binary, but ${platform} runs ${want.bits}-bit binaries`
  if (elf.endian !== want.endian) return `it is ${elf.endian}-endian, but ${platform} is ${want.endian}-endian`
  if (want.arch === 'arm' && elf.armFloat && elf.linkage === 'dynamic') {
    const expected = want.variant === 'v5' ? 'soft' : 'hard'
    if (elf.armFloat !== expected) return `it uses the ${elf.armFloat}-float ABI, but ${platform} libraries use the ${expected}-float ABI`
  }
  return undefined
}

/** Whose a loader path is. */
export function loaderFlavor(loader: string): 'glibc' | 'musl' | 'unknown' {
  const base = loader.slice(loader.lastIndexOf('/') + 1)
  if (base.startsWith('ld-musl-')) return 'musl'
  if (/^ld-linux|^ld64\.so|^ld\.so/.test(base)) return 'glibc'
  return 'unknown'
}

/** The Debian multiarch directory name for an ELF machine. */
export function multiarchTriplet(elf: ElfInfo): string | undefined {
  const a = architectureOfElf(elf.machineCode, elf.bits, elf.endian)
  if (a?.arch === 'arm' && elf.armFloat === 'soft') return 'arm-linux-gnueabi'
  return a?.multiarch
}

export type Distro = 'alpine' | 'debian' | 'other'

export function distroOf(image: ImageFs): Distro {
  if (image.lstat('/etc/alpine-release') || image.realpath('/sbin/apk').ok) return 'alpine'
  if (image.lstat('/etc/debian_version') || image.realpath('/usr/bin/apt-get').ok) return 'debian'
  return 'other'
}

/** The file names of the dynamic loaders of glibc and musl, for the architectures images are built for. */
export const KNOWN_LOADER_NAMES: readonly string[] = [
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'ld-linux-armhf.so.3',
  'ld-linux.so.3',
  'ld-linux.so.2',
  'ld64.so.2',
  'ld64.so.1',
  'ld-linux-riscv64-lp64d.so.1',
  'ld-musl-arm.so.1', // soft-float arm
  ...ARCHITECTURES.flatMap((a) => (a.musl ? [`ld-musl-${a.musl}.so.1`] : []))
]

/** Dynamic loaders present in the image's library directories (looked up by name: no directory is listed). */
export function loadersInImage(image: ImageFs): string[] {
  const found = new Set<string>()
  for (const dir of ['/lib', '/lib64', '/usr/lib', '/usr/lib64']) {
    const r = image.realpath(dir)
    if (!r.ok || image.lstat(r.path)?.type !== 'dir') continue
    for (const name of KNOWN_LOADER_NAMES) if (image.lstat(`${r.path === '/' ? '' : r.path}/${name}`)) found.add(`${dir}/${name}`)
  }
  return [...found].sort()
}

function glob(image: ImageFs, pattern: string): string[] {
  const abs = normalizeImagePath(pattern)
  const dir = abs.slice(0, abs.lastIndexOf('/')) || '/'
  const base = abs.slice(abs.lastIndexOf('/') + 1)
  if (!base.includes('*') && !base.includes('?')) return image.realpath(abs).ok ? [abs] : []
  const re = new RegExp(
    '^' +
      base
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]') +
      '$'
  )
  const r = image.realpath(dir)
  if (!r.ok) return []
  return (image.readdir(r.path) ?? [])
    .filter((n) => re.test(n))
    .sort()
    .map((n) => `${dir === '/' ? '' : dir}/${n}`)
}

function readText(image: ImageFs, path: string, max = 65536): string | undefined {
  const r = image.realpath(path)
  if (!r.ok) return undefined
  return image.readFile(r.path, max)?.toString('utf8')
}

/** Directories listed in /etc/ld.so.conf and the files it includes. */
export function ldSoConfDirs(image: ImageFs): string[] {
  const dirs: string[] = []
  const seen = new Set<string>()
  const visit = (file: string, depth: number): void => {
    if (depth > 8 || seen.has(file) || seen.size > 256) return
    seen.add(file)
    const text = readText(image, file)
    if (text === undefined) return
    for (const raw of text.split('\n').slice(0, 4096)) {
      const line = raw.replace(/#.*/, '').trim()
      if (!line) continue
      const inc = /^include\s+(.+)$/.exec(line)
      if (inc) {
        for (const pat of inc[1]!.split(/\s+/)) for (const f of glob(image, pat.startsWith('/') ? pat : `/etc/${pat}`)) visit(f, depth + 1)
      } else if (!line.startsWith('hwcap')) {
        for (const d of line.split(/[:,\s]+/)) if (d.startsWith('/')) dirs.push(normalizeImagePath(d))
      }
    }
  }
  visit('/etc/ld.so.conf', 0)
  return dirs
}

/** Directories the musl loader searches: /etc/ld-musl-ARCH.path, or its default. */
export function muslDirs(image: ImageFs, loader: string): string[] {
  const arch = /ld-musl-(.+)\.so\.1$/.exec(loader)?.[1]
  const text = arch ? readText(image, `/etc/ld-musl-${arch}.path`) : undefined
  if (text !== undefined)
    return text
      .split(/[:\n]/)
      .map((d) => d.trim())
      .filter((d) => d.startsWith('/'))
  return ['/lib', '/usr/local/lib', '/usr/lib']
}

/** musl's loader provides these itself. */
export function isMuslBuiltin(name: string): boolean {
  return /^lib(c|pthread|rt|m|dl|util|xnet|resolv|crypt)\.so(\.[0-9]+)*$/.test(name) || name.startsWith('ld-musl-')
}

export function expandOrigin(dir: string, origin: string, elf: ElfInfo): string {
  return dir.replace(/\$ORIGIN|\$\{ORIGIN\}/g, origin).replace(/\$LIB|\$\{LIB\}/g, elf.bits === 64 ? 'lib64' : 'lib')
}
