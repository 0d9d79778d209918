/**
 * What starts when the image starts, and whether it can: the entrypoint is resolved the way the
 * runtime resolves it (PATH, WorkingDir, symlinks inside the image root), scripts are followed to
 * their interpreter, and ELF binaries to their loader and shared libraries. Pure: it only reads
 * through the {@link ImageFs} abstraction.
 */
import type { Finding } from '../types.js'
import { describeElf, isElf, parseElf, type ByteSource, type ElfInfo } from './elf.js'
import { normalizeImagePath, type ImageConfig, type ImageFs, type ResolveResult } from './rootfs.js'
import {
  architectureMismatch,
  distroOf,
  expandOrigin,
  isMuslBuiltin,
  ldSoConfDirs,
  loaderFlavor,
  loadersInImage,
  multiarchTriplet,
  muslDirs,
  type Distro
} from './loader-paths.js'
import { shellCommand, shellScript } from './shell-command.js'
import { describeUnresolved, errnoText, hopTarget, traceUnresolved, type Unresolved } from './unresolved.js'

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Script interpreters followed at most this deep (Linux allows 4 levels). */
const MAX_INTERPRETER_DEPTH = 4
/** Shared libraries examined at most, across the whole dependency tree. */
const MAX_LIBRARIES = 256
const SHEBANG_MAX = 256

export interface EntryInfo {
  /** The program's path in the image, symlinks resolved. */
  path: string
  /** The full argument vector the runtime starts. */
  argv: string[]
  kind: 'elf' | 'script'
  machine?: string
  linkage?: 'static' | 'static-pie' | 'dynamic'
  /** The ELF loader (PT_INTERP) or the script's interpreter. */
  interpreter?: string
  needed?: string[]
}

export interface StartAnalysis {
  findings: Finding[]
  entry?: EntryInfo
}

/** The argument vector the runtime starts: ENTRYPOINT + CMD, or ENTRYPOINT + `args` when arguments are given. */
export function startArgv(config: ImageConfig, args?: readonly string[]): string[] {
  const entrypoint = config.entrypoint ?? []
  return [...entrypoint, ...(args !== undefined ? args : (config.cmd ?? []))]
}

/** The value of an environment variable in the image's `Env` list. */
export function envValue(config: ImageConfig, name: string): string | undefined {
  const prefix = `${name}=`
  for (let i = config.env.length - 1; i >= 0; i--) if (config.env[i]!.startsWith(prefix)) return config.env[i]!.slice(prefix.length)
  return undefined
}

/** The directories of the image's PATH (the runtime's default when the image sets none). */
export function searchPath(config: ImageConfig): string[] {
  return (envValue(config, 'PATH') ?? DEFAULT_PATH).split(':').filter((d) => d.startsWith('/'))
}

export type Lookup =
  | { found: true; path: string; resolved: string; /** Found along PATH, but not an executable file (a path lookup skips it). */ blocked?: boolean }
  | { found: false; tried: string[]; broken?: { path: string; result: ResolveResult } }

/** Find a command the way the runtime does: names with a `/` against WorkingDir, others along PATH. */
export function lookupCommand(image: ImageFs, name: string, pathDirs: readonly string[], workingDir: string): Lookup {
  if (name.includes('/')) {
    const p = normalizeImagePath(name.startsWith('/') ? name : `${workingDir || '/'}/${name}`)
    const r = image.realpath(p)
    if (r.ok) return { found: true, path: p, resolved: r.path }
    return { found: false, tried: [p], broken: { path: p, result: r } }
  }
  const tried: string[] = []
  let blocked: { path: string; resolved: string } | undefined
  let broken: { path: string; result: ResolveResult } | undefined
  for (const dir of pathDirs) {
    const p = normalizeImagePath(`${dir}/${name}`)
    tried.push(p)
    const r = image.realpath(p)
    if (!r.ok) {
      if (!broken && image.lstat(p)?.type === 'symlink') broken = { path: p, result: r }
      continue
    }
    const e = image.lstat(r.path)
    if (e?.type === 'file' && e.mode & 0o111) return { found: true, path: p, resolved: r.path }
    blocked ??= { path: p, resolved: r.path }
  }
  if (blocked) return { found: true, ...blocked, blocked: true }
  return { found: false, tried, broken }
}

/** A ByteSource reading a file of the image lazily. */
function imageSource(image: ImageFs, path: string, size: number): ByteSource {
  return { size, read: (offset, length) => image.readFile(path, length, offset) ?? Buffer.alloc(0) }
}

function dirname(p: string): string {
  return p.slice(0, p.lastIndexOf('/')) || '/'
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1)
}

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}

function notRegularFix(type: string | undefined): string {
  return type === 'dir'
    ? 'Point ENTRYPOINT/CMD at the program inside that directory, or copy the program itself (not its directory) to that path.'
    : 'Point ENTRYPOINT/CMD at a regular executable file.'
}

function notExecutableFix(path: string): string {
  return `Make it executable in the Dockerfile: \`COPY --chmod=755 …\` or \`RUN chmod +x ${path}\`; or commit it with the execute bit (\`git update-index --chmod=+x\`).`
}

/** What is true of a loader that cannot be used: "which is not in the image (…)", "which cannot be resolved: …", "but `x` is a directory". */
function loaderAbsence(image: ImageFs, interp: string, loader: ResolveResult, trace: Unresolved | undefined): string {
  if (loader.ok) return `but \`${loader.path}\` is ${image.lstat(loader.path)?.type === 'dir' ? 'a directory' : 'not a regular file'}, not the loader`
  if (!trace) return 'which is not in the image'
  const detail = describeUnresolved(trace, interp)
  if (trace.reason === 'loop') return `which cannot be resolved: ${detail}`
  if (trace.reason === 'not-dir') return `which cannot be reached: ${detail}`
  if (trace.hops.length === 1 && hopTarget(trace.hops[0]!) === trace.at)
    return `which is not in the image (\`${trace.hops[0]!.link}\` is a link to the missing \`${trace.at}\`)`
  return `which is not in the image${detail ? ` (${detail})` : ''}`
}

const CROSS_COMPILE_FIX =
  "Cross-compile for the target platform: build in a stage `FROM --platform=$BUILDPLATFORM …` and, for Go, `GOOS=$TARGETOS GOARCH=$TARGETARCH` (and `GOARM` from `$TARGETVARIANT` for arm); for C/C++ use the target's cross compiler (e.g. `aarch64-linux-gnu-gcc`, `arm-linux-gnueabihf-gcc`); for a downloaded binary, pick the file for `$TARGETARCH`."

/** Everything the start analysis needs while it walks. */
class Analysis {
  readonly findings: Finding[] = []
  private distroCache?: Distro
  private loadersCache?: string[]
  private glibcConfCache?: string[]
  private readonly pathDirs: string[]
  private readonly workingDir: string

  constructor(
    readonly image: ImageFs,
    readonly platform: string
  ) {
    this.pathDirs = searchPath(image.config)
    this.workingDir = image.config.workingDir || '/'
  }

  get distro(): Distro {
    return (this.distroCache ??= distroOf(this.image))
  }
  get loaders(): string[] {
    return (this.loadersCache ??= loadersInImage(this.image))
  }

  /** Record a finding once (the same file can be reached twice, e.g. by the shell form). */
  add(f: Omit<Finding, 'platform'>): void {
    if (this.findings.some((x) => x.code === f.code && x.file === f.file)) return
    this.findings.push({ ...f, platform: this.platform })
  }

  lookup(name: string): Lookup {
    return lookupCommand(this.image, name, this.pathDirs, this.workingDir)
  }

  /** Examine the program at `path` (already resolved to `resolved`), reached as `role`. */
  examine(path: string, resolved: string, role: string, depth: number, argv: string[]): EntryInfo | undefined {
    const entry = this.image.lstat(resolved)
    if (!entry) return undefined
    if (entry.type !== 'file') {
      const what = entry.type === 'dir' ? 'a directory' : 'not a regular file'
      this.add({
        severity: 'error',
        code: 'entrypoint-not-regular',
        message: `${role} \`${path}\` is ${what}, so it cannot be executed.`,
        fix: notRegularFix(entry.type),
        evidence: resolved !== path ? `${path} resolves to ${resolved}` : undefined,
        file: path
      })
      return undefined
    }
    if ((entry.mode & 0o111) === 0) {
      this.add({
        severity: 'error',
        code: 'entrypoint-not-executable',
        message: `${role} \`${path}\` has no execute permission (mode ${modeText(entry.mode)}), so starting it fails with "permission denied".`,
        fix: notExecutableFix(path),
        evidence: resolved !== path ? `${path} resolves to ${resolved}` : undefined,
        file: path
      })
      return undefined
    }
    const head = this.image.readFile(resolved, SHEBANG_MAX)
    if (head === undefined) return undefined
    if (isElf(head)) return this.examineElf(path, resolved, role, argv, entry.size)
    if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return this.examineScript(path, resolved, role, depth, argv, head)
    this.add({
      severity: 'error',
      code: 'not-executable-format',
      message: `${role} \`${path}\` is neither an ELF binary nor a script starting with \`#!\`, so starting it fails with "exec format error".`,
      fix: 'Add a `#!/bin/sh` (or other interpreter) line at the top of the script, or run it through its interpreter in ENTRYPOINT (e.g. `["/bin/sh", "/app/start"]`); if it should be a binary, check that the build produced one (not a text file, archive or Git LFS pointer).',
      evidence: `first bytes: ${JSON.stringify(head.subarray(0, 32).toString('latin1'))}`,
      file: path
    })
    return { path: resolved, argv, kind: 'script' }
  }

  private examineElf(path: string, resolved: string, role: string, argv: string[], size: number): EntryInfo {
    const parsed = parseElf(imageSource(this.image, resolved, size))
    if (!parsed.ok) {
      this.add({
        severity: 'error',
        code: 'not-executable-format',
        message: `${role} \`${path}\` is a damaged ELF file (${parsed.error}).`,
        fix: 'Rebuild the binary and check that the copy into the image is complete.',
        file: path
      })
      return { path: resolved, argv, kind: 'elf' }
    }
    const elf = parsed.elf
    const info: EntryInfo = { path: resolved, argv, kind: 'elf', machine: elf.machine, linkage: elf.linkage, interpreter: elf.interpreter, needed: elf.needed }
    const mismatch = architectureMismatch(elf, this.platform)
    if (mismatch) {
      this.add({
        severity: 'error',
        code: 'arch-mismatch',
        message: `${role} \`${path}\` cannot run natively on ${this.platform}: ${mismatch}. It may still start under emulation on the build machine, but fails on real ${this.platform} hardware.`,
        fix: CROSS_COMPILE_FIX,
        evidence: describeElf(elf),
        file: path
      })
    }
    if (elf.interpreter === undefined) {
      if (!mismatch)
        this.add({
          severity: 'notice',
          code: 'static-binary',
          message: `${role} \`${path}\` is ${elf.linkage === 'static-pie' ? 'a static-pie' : 'a static'} ${elf.machine} binary: it needs no loader or shared libraries.`,
          evidence: describeElf(elf),
          file: path
        })
      return info
    }
    const loader = this.image.realpath(elf.interpreter)
    if (!loader.ok || this.image.lstat(loader.path)?.type !== 'file') {
      this.reportMissingLoader(path, role, elf, loader)
      return info
    }
    this.checkLibraries(path, resolved, elf)
    return info
  }

  private reportMissingLoader(path: string, role: string, elf: ElfInfo, loader: ResolveResult): void {
    const interp = elf.interpreter!
    const flavor = loaderFlavor(interp)
    const whose = flavor === 'glibc' ? 'the glibc loader' : flavor === 'musl' ? 'the musl loader' : 'the loader'
    const present = this.loaders
    const presentFlavors = new Set(present.map(loaderFlavor))
    const instead =
      present.length === 0
        ? 'the image has no dynamic loader at all (e.g. `FROM scratch` or a static-only base)'
        : `the image has ${present.map((p) => `\`${p}\``).join(', ')} instead${presentFlavors.has('musl') && !presentFlavors.has('glibc') ? ': an alpine/musl image' : presentFlavors.has('glibc') && !presentFlavors.has('musl') ? ': a glibc image' : ''}`
    // Said as it is: absent, a link to something absent, a loop, or there but not a file.
    const trace = loader.ok ? undefined : traceUnresolved(this.image, interp)
    const absent = loaderAbsence(this.image, interp, loader, trace)
    const fixes: string[] = []
    if (flavor === 'glibc') {
      if (elf.go) fixes.push('build without cgo: `CGO_ENABLED=0 go build …` (the `net` and `os/user` packages otherwise link against glibc)')
      fixes.push("link statically (`gcc -static`; for Go with cgo: `-ldflags '-extldflags -static'`)")
      fixes.push('use a glibc base image for the final stage (e.g. debian:*-slim or gcr.io/distroless/base)')
      if (presentFlavors.has('musl') || this.distro === 'alpine') fixes.push('or, on alpine, `RUN apk add --no-cache gcompat`')
    } else if (flavor === 'musl') {
      if (elf.go) fixes.push('build without cgo: `CGO_ENABLED=0 go build …`')
      fixes.push('link statically (`-static`)')
      fixes.push('use an alpine base image for the final stage, or build the binary on the same base image it runs on')
    } else {
      fixes.push('link statically, or use a final base image that has this loader')
    }
    this.add({
      severity: 'error',
      code: 'missing-loader',
      message: `${role} \`${path}\` needs ${whose} \`${interp}\`, ${absent}; ${instead}.${trace ? ` Starting it fails with "${errnoText(trace)}".` : ''}`,
      fix: fixes.join('; ') + '.',
      evidence: describeElf(elf),
      file: path
    })
  }

  private librarySearch(elf: ElfInfo, objectPath: string, executableRpath: string[], flavor: 'glibc' | 'musl' | 'unknown', loader: string): string[] {
    const origin = dirname(objectPath)
    const expand = (dirs: string[]): string[] => dirs.map((d) => normalizeImagePath(expandOrigin(d, origin, elf)))
    const ldLibraryPath = (envValue(this.image.config, 'LD_LIBRARY_PATH') ?? '').split(':').filter((d) => d.startsWith('/'))
    const dirs: string[] = []
    if (flavor === 'musl') {
      dirs.push(...ldLibraryPath, ...expand(elf.rpath), ...expand(elf.runpath), ...muslDirs(this.image, loader))
    } else {
      if (elf.runpath.length === 0) dirs.push(...expand(elf.rpath), ...executableRpath)
      dirs.push(...ldLibraryPath, ...expand(elf.runpath))
      dirs.push(...(this.glibcConfCache ??= ldSoConfDirs(this.image)))
      const triplet = multiarchTriplet(elf)
      if (triplet) dirs.push(`/lib/${triplet}`, `/usr/lib/${triplet}`)
      dirs.push(...(elf.bits === 64 ? ['/lib64', '/usr/lib64'] : []), '/lib', '/usr/lib')
    }
    return [...new Set(dirs)]
  }

  /** Follow DT_NEEDED through the image, breadth first and bounded. */
  private checkLibraries(path: string, resolved: string, exe: ElfInfo): void {
    const loader = exe.interpreter!
    const flavor = loaderFlavor(loader)
    const executableRpath = exe.runpath.length === 0 ? exe.rpath.map((d) => normalizeImagePath(expandOrigin(d, dirname(resolved), exe))) : []
    const queue: Array<{ name: string; by: string; byElf: ElfInfo; byPath: string }> = exe.needed.map((name) => ({
      name,
      by: path,
      byElf: exe,
      byPath: resolved
    }))
    const seen = new Set<string>(queue.map((q) => q.name))
    let examined = 0
    while (queue.length > 0 && examined < MAX_LIBRARIES) {
      const { name, by, byElf, byPath } = queue.shift()!
      examined++
      if (flavor === 'musl' && isMuslBuiltin(name)) continue
      const dirs = name.includes('/') ? [] : this.librarySearch(byElf, byPath, executableRpath, flavor, loader)
      const candidates = name.includes('/')
        ? [normalizeImagePath(name.startsWith('/') ? name : `${this.workingDir}/${name}`)]
        : dirs.map((d) => `${d === '/' ? '' : d}/${name}`)
      let found: { path: string; elf: ElfInfo } | undefined
      const incompatible: string[] = []
      for (const candidate of candidates) {
        const r = this.image.realpath(candidate)
        if (!r.ok) continue
        const e = this.image.lstat(r.path)
        if (e?.type !== 'file') continue
        const parsed = parseElf(imageSource(this.image, r.path, e.size))
        if (!parsed.ok) continue
        if (parsed.elf.machineCode !== exe.machineCode || parsed.elf.bits !== exe.bits) {
          incompatible.push(`${candidate} (${parsed.elf.machine}, ${parsed.elf.bits}-bit)`)
          continue
        }
        found = { path: r.path, elf: parsed.elf }
        break
      }
      if (!found) {
        const neededBy = by === path ? `\`${path}\`` : `\`${by}\` (loaded by \`${path}\`)`
        this.add({
          severity: 'error',
          code: 'missing-library',
          message: `${neededBy} needs the shared library \`${name}\`, which the ${flavor === 'unknown' ? 'dynamic' : flavor} loader cannot find in the image${incompatible.length > 0 ? ` built for ${exe.machine}` : ''}. Starting it fails with "error while loading shared libraries: ${name}".`,
          fix: `Install or copy the package that provides \`${name}\` into the final stage (${this.distro === 'alpine' ? '`apk add --no-cache …`' : this.distro === 'debian' ? '`apt-get install -y …`' : 'copy it from the build stage'}), put its directory on the search path (RUNPATH, /etc/ld.so.conf, LD_LIBRARY_PATH), or link it statically.`,
          evidence:
            `searched ${candidates.slice(0, 12).join(', ')}${candidates.length > 12 ? ', …' : ''}` +
            (incompatible.length > 0 ? `; skipped for the wrong machine: ${incompatible.join(', ')}` : ''),
          file: by
        })
        continue
      }
      for (const dep of found.elf.needed) {
        if (seen.has(dep) || seen.size >= MAX_LIBRARIES) continue
        seen.add(dep)
        queue.push({ name: dep, by: found.path, byElf: found.elf, byPath: found.path })
      }
    }
  }

  private examineScript(path: string, resolved: string, role: string, depth: number, argv: string[], head: Buffer): EntryInfo {
    const nl = head.indexOf(0x0a)
    const line = head.subarray(2, nl < 0 ? head.length : nl).toString('latin1')
    const info: EntryInfo = { path: resolved, argv, kind: 'script' }
    if (line.endsWith('\r') && this.reportCrlf(path, role, line)) {
      info.interpreter = line.trim()
      return info
    }
    const trimmed = line.replace(/\r$/, '').replace(/^[ \t]+/, '')
    const space = trimmed.search(/[ \t]/)
    const interp = space < 0 ? trimmed : trimmed.slice(0, space)
    const arg = space < 0 ? '' : trimmed.slice(space).trim()
    info.interpreter = interp
    if (!interp) {
      this.add({
        severity: 'error',
        code: 'not-executable-format',
        message: `${role} \`${path}\` has an empty \`#!\` line.`,
        fix: 'Name the interpreter on the first line, e.g. `#!/bin/sh`.',
        file: path
      })
      return info
    }
    if (depth >= MAX_INTERPRETER_DEPTH) return info
    const interpPath = normalizeImagePath(interp.startsWith('/') ? interp : `${this.workingDir}/${interp}`)
    const r = this.image.realpath(interpPath)
    if (!r.ok || this.image.lstat(r.path) === undefined) {
      this.reportMissingInterpreter(path, role, interp, basename(interp), false, r.ok ? undefined : traceUnresolved(this.image, interpPath))
      return info
    }
    this.examine(interpPath, r.path, `The interpreter of \`${path}\`,`, depth + 1, argv)
    if (basename(interpPath) === 'env' && arg) {
      const program = envProgram(arg)
      if (program) {
        const found = this.lookup(program)
        if (!found.found) this.reportMissingInterpreter(path, role, `${interp} ${arg}`, program, true)
        else this.examine(found.path, found.resolved, `The interpreter of \`${path}\`,`, depth + 1, argv)
      }
    }
    return info
  }

  /**
   * A `#!` line ending in CR. When the interpreter's own name carries the CR, the kernel looks for a
   * file of that name (an error, unless the image has one); when an argument carries it, the
   * interpreter receives that argument (`env` then looks for a program of that name). Returns true
   * when the line cannot start anything, so that there is no interpreter left to examine.
   */
  private reportCrlf(path: string, role: string, line: string): boolean {
    const body = line.replace(/^[ \t]+/, '')
    const space = body.search(/[ \t]/)
    const fix =
      'Convert the script to LF line endings (`dos2unix`, or `sed -i "s/\\r$//"` in the Dockerfile) and keep them with `*.sh text eol=lf` in `.gitattributes`.'
    const evidence = `first line: ${JSON.stringify('#!' + line)}`
    const shown = (word: string): string => `\`${word.replace(/\r$/, '')}\\r\``
    if (space < 0) {
      if (this.image.realpath(normalizeImagePath(body.startsWith('/') ? body : `${this.workingDir}/${body}`)).ok) return false
      this.add({
        severity: 'error',
        code: 'shebang-crlf',
        message: `${role} \`${path}\` has Windows (CRLF) line endings; the kernel looks for an interpreter named ${shown(body)}, which does not exist, so starting it fails with "no such file or directory".`,
        fix,
        evidence,
        file: path
      })
      return true
    }
    const interp = body.slice(0, space)
    const last =
      body
        .slice(space)
        .trim()
        .split(/[ \t]+/)
        .at(-1)! + '\r'
    const program = basename(interp) === 'env' ? envProgram(body.slice(space)) : undefined
    if (program === last && !this.lookup(program).found) {
      this.add({
        severity: 'error',
        code: 'shebang-crlf',
        message: `${role} \`${path}\` has Windows (CRLF) line endings; \`${interp}\` looks for a program named ${shown(program)}, which is not on the image's PATH, so it cannot start the script.`,
        fix,
        evidence,
        file: path
      })
      return true
    }
    this.add({
      severity: 'warning',
      code: 'shebang-crlf',
      message: `${role} \`${path}\` has Windows (CRLF) line endings; its interpreter \`${interp}\` receives the argument ${shown(last)}, with the carriage return, which most interpreters reject.`,
      fix,
      evidence,
      file: path
    })
    return false
  }

  private reportMissingInterpreter(path: string, role: string, shebang: string, program: string, viaEnv = false, trace?: Unresolved): void {
    const pkg: Record<string, string> = {
      bash: 'bash',
      python3: 'python3',
      python: 'python3',
      node: 'nodejs',
      perl: 'perl',
      ruby: 'ruby',
      zsh: 'zsh',
      sh: 'busybox'
    }
    const name = pkg[program] ?? program
    const install =
      this.distro === 'alpine'
        ? `\`RUN apk add --no-cache ${name}\``
        : this.distro === 'debian'
          ? `\`RUN apt-get update && apt-get install -y --no-install-recommends ${name}\``
          : `a base image that has \`${program}\``
    const hasSh = this.image.realpath('/bin/sh').ok
    const rewrite = /^(bash|zsh|ksh)$/.test(program) && hasSh ? `, or rewrite the script for POSIX sh and start it with \`#!/bin/sh\`` : ''
    this.add({
      severity: 'error',
      code: 'interpreter-missing',
      message: viaEnv
        ? `${role} \`${path}\` starts with \`#!${shebang}\`, but \`${program}\` is not on the image's PATH, so \`env\` cannot start it.`
        : `${role} \`${path}\` starts with \`#!${shebang}\`, but ${interpreterAbsence(program, shebang, trace)}, so starting it fails with "${errnoText(trace)}".`,
      fix: `Install it in the final stage: ${install}${rewrite}.`,
      evidence: viaEnv ? `PATH=${this.pathDirs.join(':')}` : undefined,
      file: path
    })
  }
}

/** What is true of an interpreter that cannot be started: "bash is not in the image", "`/bin/sh` cannot be resolved: …". */
function interpreterAbsence(program: string, interp: string, trace: Unresolved | undefined): string {
  const detail = trace ? describeUnresolved(trace, interp) : undefined
  if (trace?.reason === 'loop') return `\`${interp}\` cannot be resolved: ${detail}`
  if (trace?.reason === 'not-dir') return `\`${interp}\` cannot be reached: ${detail}`
  return `${program} is not in the image${detail ? ` (${detail})` : ''}`
}

/** The program `env` runs, from the rest of a `#!/usr/bin/env …` line (handles `-S` and assignments). */
export function envProgram(arg: string): string | undefined {
  const words = arg.split(/[ \t]+/).filter(Boolean)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (w === '-S' || w === '--split-string' || w === '-i' || w === '-') continue
    if (w.startsWith('-S')) return w.slice(2) || undefined
    if (w === '-u' || w === '-C') {
      i++
      continue
    }
    if (w.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue
    return w
  }
  return undefined
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'busybox'])
/** The program a shell-form script (`sh -c "…"`) runs, when it is a simple command (see shell-command.ts). */
export function shellCommandProgram(script: string, env: (name: string) => string | undefined = () => undefined): string | undefined {
  const cmd = shellCommand(script, env)
  return cmd.kind === 'simple' ? cmd.program : undefined
}

/** Examine what the image starts on `platform`: findings, and the program that starts. */
export function analyzeStart(image: ImageFs, platform: string, options: { args?: readonly string[] } = {}): StartAnalysis {
  const a = new Analysis(image, platform)
  const argv = startArgv(image.config, options.args)
  if (argv.length === 0 || !argv[0]) {
    a.add({
      severity: 'error',
      code: 'no-entrypoint',
      message: 'The image has neither ENTRYPOINT nor CMD, so there is nothing to start.',
      fix: 'Add `ENTRYPOINT ["/path/to/program"]` (or `CMD`) to the final stage of the Dockerfile, or pass `smoke-args`.'
    })
    return { findings: a.findings }
  }
  const entry = examineCommand(a, argv[0], 'The entrypoint', argv, true)
  // Only a simple command names its program; for any other script the shell itself was checked, and the start decides.
  const script = entry?.kind === 'elf' && SHELLS.has(basename(entry.path)) ? shellScript(argv) : undefined
  const program = script === undefined ? undefined : shellCommandProgram(script, (name) => envValue(image.config, name))
  if (program) examineCommand(a, program, 'The command run by the shell form', argv)
  return { findings: a.findings, entry }
}

function examineCommand(a: Analysis, name: string, role: string, argv: string[], lookPath = false): EntryInfo | undefined {
  const found = a.lookup(name)
  if (!found.found) {
    const broken = found.broken
    const trace = broken ? traceUnresolved(a.image, broken.path) : undefined
    const detail = trace && broken ? describeUnresolved(trace, broken.path) : undefined
    const unusable = trace?.reason === 'loop' ? 'cannot be resolved' : trace?.reason === 'not-dir' ? 'cannot be reached' : undefined
    const where = name.includes('/')
      ? unusable
        ? `\`${found.tried[0]}\` ${unusable}: ${detail}`
        : `\`${found.tried[0]}\` does not exist in the image${detail ? ` (${detail})` : ''}`
      : `\`${name}\` is not in any directory of the image's PATH${detail ? ` (${unusable ? `\`${broken!.path}\` ${unusable}: ` : ''}${detail})` : ''}`
    a.add({
      severity: 'error',
      code: 'entrypoint-missing',
      message: `${role} cannot be found: ${where}.`,
      fix: 'Check that the final stage copies the program there (`COPY --from=build …` with the right source and destination), and that ENTRYPOINT/CMD and WORKDIR name that path.',
      evidence: name.includes('/') ? undefined : `searched ${found.tried.join(', ')}`,
      file: name.includes('/') ? found.tried[0] : name
    })
    return undefined
  }
  if (found.blocked && lookPath) {
    // The runtime's PATH search skips what is not an executable file: it reports the name as not found.
    const entry = a.image.lstat(found.resolved)
    const file = entry?.type === 'file'
    a.add({
      severity: 'error',
      code: file ? 'entrypoint-not-executable' : 'entrypoint-not-regular',
      message: `${role} cannot be found: \`${name}\` on the image's PATH is \`${found.path}\`, which is ${file ? `a file without execute permission (mode ${modeText(entry.mode)})` : entry?.type === 'dir' ? 'a directory' : 'not a regular file'}, so the runtime finds no executable \`${name}\` ("executable file not found in $PATH").`,
      fix: file ? notExecutableFix(found.path) : notRegularFix(entry?.type),
      evidence: found.resolved !== found.path ? `${found.path} resolves to ${found.resolved}` : undefined,
      file: found.path
    })
    return undefined
  }
  return a.examine(found.path, found.resolved, role, 0, argv)
}
