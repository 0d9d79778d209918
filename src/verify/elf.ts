/**
 * A strict, bounds-checked ELF reader. It reads only the parts it needs (header, program headers,
 * the interpreter string, the dynamic section and the strings it names), never throws on bad input,
 * and caps every count it takes from the file.
 */
import { architectureOfElf } from '../docker/platform.js'

/** Random access to the bytes of one file. */
export interface ByteSource {
  /** Total size of the file in bytes. */
  readonly size: number
  /** Up to `length` bytes starting at `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Buffer
}

export type ElfType = 'relocatable' | 'executable' | 'shared' | 'core' | 'other'
export type Linkage = 'static' | 'static-pie' | 'dynamic'
export type ArmFloatAbi = 'hard' | 'soft'

export interface ElfInfo {
  bits: 32 | 64
  endian: 'little' | 'big'
  type: ElfType
  /** Raw e_machine. */
  machineCode: number
  /** Human name, e.g. `x86-64`, `aarch64`, `arm`. */
  machine: string
  /** The Docker platform the binary runs on natively, e.g. `linux/amd64`; undefined when unknown. */
  platform?: string
  flags: number
  /** ARM only: the float ABI declared in e_flags, when declared. */
  armFloat?: ArmFloatAbi
  /** The program interpreter (PT_INTERP), e.g. `/lib64/ld-linux-x86-64.so.2`. */
  interpreter?: string
  hasDynamic: boolean
  needed: string[]
  runpath: string[]
  rpath: string[]
  soname?: string
  /** DF_1_PIE is set. */
  pie: boolean
  linkage: Linkage
  /** Built by the Go toolchain (a `.note.go.buildid` or `.go.buildinfo` section). */
  go: boolean
  /** Parts that could not be read (e.g. the dynamic section lies beyond the bytes available). */
  warnings: string[]
}

export type ElfErrorCode = 'not-elf' | 'truncated' | 'malformed'
export type ElfResult = { ok: true; elf: ElfInfo } | { ok: false; code: ElfErrorCode; error: string }

const MAX_PROGRAM_HEADERS = 4096
const MAX_SECTION_HEADERS = 8192
const MAX_DYNAMIC_ENTRIES = 16384
const MAX_STRING = 4096
const MAX_NEEDED = 1024

const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_STRSZ = 10
const DT_SONAME = 14
const DT_RPATH = 15
const DT_RUNPATH = 29
const DT_FLAGS_1 = 0x6ffffffb
const DF_1_PIE = 0x08000000
const EF_ARM_ABI_FLOAT_SOFT = 0x200
const EF_ARM_ABI_FLOAT_HARD = 0x400

const MACHINES: Record<number, string> = {
  2: 'sparc',
  3: 'i386',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  43: 'sparc64',
  62: 'x86-64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch'
}

/** The name of an e_machine value. */
export function machineName(code: number, bits: 32 | 64): string {
  const name = MACHINES[code]
  if (name === undefined) return `machine ${code}`
  if (name === 'riscv') return bits === 64 ? 'riscv64' : 'riscv32'
  if (name === 's390') return bits === 64 ? 's390x' : 's390'
  if (name === 'mips' && bits === 64) return 'mips64'
  if (name === 'loongarch') return bits === 64 ? 'loongarch64' : 'loongarch32'
  return name
}

/** The Docker platform an ELF file runs on natively (from the one table of architectures). */
export function dockerPlatformOf(code: number, bits: 32 | 64, endian: 'little' | 'big', armFloat?: ArmFloatAbi): string | undefined {
  const a = architectureOfElf(code, bits, endian)
  if (!a) return undefined
  if (a.arch === 'arm') return armFloat === 'hard' ? 'linux/arm/v7' : armFloat === 'soft' ? 'linux/arm/v6' : 'linux/arm'
  return `linux/${a.arch}`
}

/** A ByteSource over a Buffer. */
export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: (offset, length) => (offset >= buf.length || offset < 0 ? Buffer.alloc(0) : buf.subarray(offset, Math.min(buf.length, offset + length)))
  }
}

class ElfFault extends Error {
  constructor(
    readonly code: ElfErrorCode,
    message: string
  ) {
    super(message)
  }
}

/** Endian- and class-aware field reads over a bounded buffer. */
class Fields {
  constructor(
    private readonly buf: Buffer,
    private readonly le: boolean,
    readonly wide: boolean,
    private readonly what: string
  ) {}
  private need(off: number, n: number): void {
    if (off < 0 || off + n > this.buf.length) throw new ElfFault('truncated', `${this.what} is truncated`)
  }
  u8(off: number): number {
    this.need(off, 1)
    return this.buf[off]!
  }
  u16(off: number): number {
    this.need(off, 2)
    return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off)
  }
  u32(off: number): number {
    this.need(off, 4)
    return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off)
  }
  /** A 64-bit field as a number; values beyond 2^53 become Infinity so every bounds check fails. */
  u64(off: number): number {
    this.need(off, 8)
    const v = this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off)
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v)
  }
  /** An address/offset/size field: 4 bytes in ELF32, 8 in ELF64. */
  addr(off: number): number {
    return this.wide ? this.u64(off) : this.u32(off)
  }
}

interface Segment {
  type: number
  offset: number
  vaddr: number
  filesz: number
}

/** Parse an ELF file. Never throws; a file that is not ELF or is damaged gives `{ ok: false }`. */
export function parseElf(input: Buffer | ByteSource): ElfResult {
  const src = Buffer.isBuffer(input) ? bufferSource(input) : input
  try {
    return { ok: true, elf: parse(src) }
  } catch (err) {
    if (err instanceof ElfFault) return { ok: false, code: err.code, error: err.message }
    return { ok: false, code: 'malformed', error: `unreadable ELF: ${(err as Error).message}` }
  }
}

/** Whether the bytes start with the ELF magic. */
export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46
}

function parse(src: ByteSource): ElfInfo {
  const ident = src.read(0, 64)
  if (!isElf(ident)) throw new ElfFault('not-elf', 'not an ELF file')
  if (ident.length < 16) throw new ElfFault('truncated', 'ELF identification is truncated')
  const cls = ident[4]
  const data = ident[5]
  if (cls !== 1 && cls !== 2) throw new ElfFault('malformed', `invalid ELF class ${cls}`)
  if (data !== 1 && data !== 2) throw new ElfFault('malformed', `invalid ELF data encoding ${data}`)
  const bits: 32 | 64 = cls === 2 ? 64 : 32
  const wide = bits === 64
  const le = data === 1
  const endian = le ? 'little' : 'big'
  const h = new Fields(ident, le, wide, 'ELF header')
  const headerSize = wide ? 64 : 52
  if (ident.length < headerSize) throw new ElfFault('truncated', 'ELF header is truncated')

  const eType = h.u16(16)
  const machineCode = h.u16(18)
  const phoff = h.addr(wide ? 32 : 28)
  const shoff = h.addr(wide ? 40 : 32)
  const flags = h.u32(wide ? 48 : 36)
  const phentsize = h.u16(wide ? 54 : 42)
  let phnum = h.u16(wide ? 56 : 44)
  const shentsize = h.u16(wide ? 58 : 46)
  const shnum = h.u16(wide ? 60 : 48)
  const shstrndx = h.u16(wide ? 62 : 50)

  const type: ElfType = eType === 1 ? 'relocatable' : eType === 2 ? 'executable' : eType === 3 ? 'shared' : eType === 4 ? 'core' : 'other'
  let armFloat: ArmFloatAbi | undefined
  if (machineCode === 40) {
    if (flags & EF_ARM_ABI_FLOAT_HARD) armFloat = 'hard'
    else if (flags & EF_ARM_ABI_FLOAT_SOFT) armFloat = 'soft'
  }
  const warnings: string[] = []
  const info: ElfInfo = {
    bits,
    endian,
    type,
    machineCode,
    machine: machineName(machineCode, bits),
    platform: dockerPlatformOf(machineCode, bits, endian, armFloat),
    flags,
    armFloat,
    hasDynamic: false,
    needed: [],
    runpath: [],
    rpath: [],
    pie: false,
    linkage: 'static',
    go: false,
    warnings
  }

  // Program headers (PN_XNUM: the real count lives in section header 0's sh_info).
  const minPhent = wide ? 56 : 32
  if (phnum === 0xffff && shoff > 0 && shentsize >= (wide ? 64 : 40)) {
    const s0 = new Fields(src.read(shoff, shentsize), le, wide, 'section header 0')
    phnum = s0.u32(wide ? 44 : 28)
  }
  if (phnum > MAX_PROGRAM_HEADERS) throw new ElfFault('malformed', `too many program headers (${phnum})`)
  const segments: Segment[] = []
  if (phnum > 0) {
    if (phentsize < minPhent) throw new ElfFault('malformed', `program header size ${phentsize} is too small`)
    if (!Number.isFinite(phoff) || phoff + phnum * phentsize > src.size) throw new ElfFault('truncated', 'program headers lie beyond the end of the file')
    const table = new Fields(src.read(phoff, phnum * phentsize), le, wide, 'program header table')
    for (let i = 0; i < phnum; i++) {
      const base = i * phentsize
      const pType = table.u32(base)
      segments.push(
        wide
          ? { type: pType, offset: table.u64(base + 8), vaddr: table.u64(base + 16), filesz: table.u64(base + 32) }
          : { type: pType, offset: table.u32(base + 4), vaddr: table.u32(base + 8), filesz: table.u32(base + 16) }
      )
    }
  }

  const interp = segments.find((s) => s.type === PT_INTERP)
  if (interp) info.interpreter = readString(src, interp.offset, Math.min(interp.filesz, MAX_STRING), 'PT_INTERP')

  const dynamic = segments.find((s) => s.type === PT_DYNAMIC)
  if (dynamic) {
    info.hasDynamic = true
    try {
      readDynamic(src, dynamic, segments, le, wide, info)
    } catch (err) {
      if (!(err instanceof ElfFault)) throw err
      warnings.push(`dynamic section: ${err.message}`)
    }
  }

  try {
    info.go = hasGoSection(src, shoff, shnum, shentsize, shstrndx, le, wide)
  } catch (err) {
    if (!(err instanceof ElfFault)) throw err
    warnings.push(`section headers: ${err.message}`)
  }

  if (info.interpreter !== undefined) info.linkage = 'dynamic'
  else if (type === 'shared') info.linkage = info.pie || info.needed.length === 0 ? 'static-pie' : 'dynamic'
  else info.linkage = 'static'
  return info
}

/** A NUL-terminated string at a file offset, at most `max` bytes. */
function readString(src: ByteSource, offset: number, max: number, what: string): string {
  if (!Number.isFinite(offset) || offset < 0 || offset >= src.size) throw new ElfFault('truncated', `${what} lies beyond the end of the file`)
  const bytes = src.read(offset, Math.max(0, Math.min(max, MAX_STRING)))
  const end = bytes.indexOf(0)
  if (end < 0) throw new ElfFault(bytes.length < max ? 'truncated' : 'malformed', `${what} is not terminated`)
  return bytes.subarray(0, end).toString('latin1')
}

/** The file offset of a virtual address, through the PT_LOAD segment that maps it. */
function fileOffsetOf(vaddr: number, segments: Segment[]): number | undefined {
  for (const s of segments) {
    if (s.type !== PT_LOAD) continue
    if (vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr)
  }
  return undefined
}

function readDynamic(src: ByteSource, dyn: Segment, segments: Segment[], le: boolean, wide: boolean, info: ElfInfo): void {
  const entSize = wide ? 16 : 8
  const count = Math.min(Math.floor(dyn.filesz / entSize), MAX_DYNAMIC_ENTRIES)
  if (!Number.isFinite(dyn.offset) || dyn.offset + count * entSize > src.size) throw new ElfFault('truncated', 'lies beyond the end of the file')
  const table = new Fields(src.read(dyn.offset, count * entSize), le, wide, 'dynamic section')
  const entries: Array<[number, number]> = []
  for (let i = 0; i < count; i++) {
    const tag = wide ? table.u64(i * entSize) : table.u32(i * entSize)
    const val = wide ? table.u64(i * entSize + 8) : table.u32(i * entSize + 4)
    if (tag === DT_NULL) break
    entries.push([tag, val])
  }
  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1]
  const strsz = entries.find(([t]) => t === DT_STRSZ)?.[1] ?? Number.POSITIVE_INFINITY
  for (const [tag, val] of entries) if (tag === DT_FLAGS_1 && Number.isFinite(val)) info.pie = (val & DF_1_PIE) !== 0
  const wantsStrings = entries.some(([t]) => t === DT_NEEDED || t === DT_RPATH || t === DT_RUNPATH || t === DT_SONAME)
  if (!wantsStrings) return
  if (strtabAddr === undefined) throw new ElfFault('malformed', 'DT_STRTAB is missing')
  const strtab = fileOffsetOf(strtabAddr, segments)
  if (strtab === undefined) throw new ElfFault('malformed', 'DT_STRTAB is not in a loaded segment')
  const str = (off: number, what: string): string => {
    if (!Number.isFinite(off) || off >= strsz) throw new ElfFault('malformed', `${what} lies outside the string table`)
    return readString(src, strtab + off, Math.min(MAX_STRING, strsz - off), what)
  }
  for (const [tag, val] of entries) {
    if (tag === DT_NEEDED && info.needed.length < MAX_NEEDED) info.needed.push(str(val, 'DT_NEEDED'))
    else if (tag === DT_RUNPATH) info.runpath.push(...splitPathList(str(val, 'DT_RUNPATH')))
    else if (tag === DT_RPATH) info.rpath.push(...splitPathList(str(val, 'DT_RPATH')))
    else if (tag === DT_SONAME) info.soname = str(val, 'DT_SONAME')
  }
}

function splitPathList(value: string): string[] {
  return value.split(':').filter((p) => p.length > 0)
}

/** Whether a section named like the Go toolchain's build-id or build-info sections is present. */
function hasGoSection(src: ByteSource, shoff: number, shnum: number, shentsize: number, shstrndx: number, le: boolean, wide: boolean): boolean {
  if (shoff === 0 || shnum === 0) return false
  if (shnum > MAX_SECTION_HEADERS) throw new ElfFault('malformed', `too many section headers (${shnum})`)
  if (shentsize < (wide ? 64 : 40)) throw new ElfFault('malformed', `section header size ${shentsize} is too small`)
  if (!Number.isFinite(shoff) || shoff + shnum * shentsize > src.size) throw new ElfFault('truncated', 'lie beyond the end of the file')
  if (shstrndx >= shnum) throw new ElfFault('malformed', 'section name table index is out of range')
  const table = new Fields(src.read(shoff, shnum * shentsize), le, wide, 'section header table')
  const namesOffset = wide ? table.u64(shstrndx * shentsize + 24) : table.u32(shstrndx * shentsize + 16)
  const namesSize = wide ? table.u64(shstrndx * shentsize + 32) : table.u32(shstrndx * shentsize + 20)
  for (let i = 0; i < shnum; i++) {
    const nameOff = table.u32(i * shentsize)
    if (nameOff >= namesSize) continue
    const name = readString(src, namesOffset + nameOff, Math.min(64, namesSize - nameOff), 'section name')
    if (name === '.note.go.buildid' || name === '.go.buildinfo') return true
  }
  return false
}

/** A one-line description, e.g. `ELF 64-bit LSB executable, x86-64, dynamic (interpreter /lib64/ld-linux-x86-64.so.2)`. */
export function describeElf(elf: ElfInfo): string {
  const kind = elf.type === 'shared' && elf.linkage !== 'dynamic' ? 'executable' : elf.type
  const parts = [`ELF ${elf.bits}-bit ${elf.endian === 'little' ? 'LSB' : 'MSB'} ${kind}`, elf.machine]
  if (elf.armFloat) parts.push(`${elf.armFloat}-float ABI`)
  parts.push(
    elf.linkage === 'dynamic'
      ? `dynamically linked${elf.interpreter ? ` (interpreter ${elf.interpreter})` : ''}`
      : elf.linkage === 'static-pie'
        ? 'static-pie linked'
        : 'statically linked'
  )
  if (elf.needed.length > 0) parts.push(`needs ${elf.needed.join(', ')}`)
  if (elf.go) parts.push('Go')
  return parts.join(', ')
}
