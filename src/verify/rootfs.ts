/**
 * The filesystem of an image, read from `docker save` without extracting anything onto the host.
 *
 * One streaming pass over the archive builds an index of every entry of every layer (path, type,
 * mode, size, link target, layer) and copies the contents of only the files an analysis may read
 * (executables, shared objects, loader configuration) into a spool file in the temp directory.
 * Layers are then applied in manifest order, whiteouts included. Memory holds the index, not the
 * image; the spool is deleted by `close()`.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import * as zlib from 'node:zlib'
import * as tar from 'tar-stream'
import { CommandError, readStreaming } from '../docker/exec.js'

/** The parts of an image's config that decide what starts. */
export interface ImageConfig {
  entrypoint: string[] | null
  cmd: string[] | null
  env: string[]
  workingDir: string
  user: string
  architecture: string
  os: string
  variant?: string
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'other'

export interface FsEntry {
  type: EntryType
  /** Permission bits (and setuid/setgid/sticky), without the file type. */
  mode: number
  size: number
  linkTarget?: string
  /** A symlink the engine refused to resolve (too many levels of links): its target is unknown, following it is a loop. */
  loop?: boolean
  /** Index of the layer the entry comes from (0 = base). */
  layer: number
}

export type ResolveResult =
  { ok: true; path: string } | { ok: false; reason: 'missing' | 'loop' | 'not-dir'; /** The path at which resolution stopped. */ path: string }

/** Read access to an image's merged filesystem. Paths are absolute inside the image. */
export interface ImageFs {
  readonly config: ImageConfig
  /** The entry at `path` itself (symlinks are not followed). */
  lstat(path: string): FsEntry | undefined
  /** Names in the directory at `path` (not following a final symlink). */
  readdir(path: string): string[] | undefined
  /** Contents of the regular file at `path` (not following symlinks): up to `maxBytes` from `offset`. */
  readFile(path: string, maxBytes?: number, offset?: number): Buffer | undefined
  /** Resolve every symlink in `path` inside the image root. */
  realpath(path: string): ResolveResult
}

/** Symlink hops allowed in one resolution, as in Linux. */
export const MAX_SYMLINK_HOPS = 40

export class ImageArchiveError extends Error {
  override name = 'ImageArchiveError'
}

/** `/a/./b/../c` → `/a/c`, with `..` clamped at the root. */
export function normalizeImagePath(p: string): string {
  const out: string[] = []
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return '/' + out.join('/')
}

/**
 * Resolve `p` inside an image root using only `lstat`: absolute link targets are re-rooted,
 * `..` is clamped at `/`, and more than {@link MAX_SYMLINK_HOPS} hops is a loop. `onHop` hears of
 * every link followed (its path and its target as written).
 */
export function resolveInRoot(
  lstat: (p: string) => FsEntry | undefined,
  p: string,
  followLast = true,
  onHop?: (link: string, target: string) => void
): ResolveResult {
  const pending = p.split('/').reverse()
  const done: string[] = []
  let hops = 0
  while (pending.length > 0) {
    const part = pending.pop()!
    if (part === '' || part === '.') continue
    if (part === '..') {
      done.pop()
      continue
    }
    const here = '/' + [...done, part].join('/')
    const entry = lstat(here)
    if (!entry) return { ok: false, reason: 'missing', path: here }
    const isLast = !pending.some((x) => x !== '' && x !== '.')
    if (entry.type === 'symlink' && (followLast || !isLast)) {
      if (++hops > MAX_SYMLINK_HOPS || entry.loop) return { ok: false, reason: 'loop', path: here }
      const target = entry.linkTarget ?? ''
      onHop?.(here, target)
      if (target.startsWith('/')) done.length = 0
      if (pending.length + target.length > 65536) return { ok: false, reason: 'loop', path: here }
      pending.push(...target.split('/').reverse())
      continue
    }
    if (!isLast && entry.type !== 'dir') return { ok: false, reason: 'not-dir', path: here }
    done.push(part)
  }
  return { ok: true, path: '/' + done.join('/') }
}

// ---------------------------------------------------------------------------------------------
// The merged tree

/** Where a file's bytes are. */
type Content = { kind: 'spool'; offset: number; length: number } | { kind: 'memory'; data: Buffer }

interface Node {
  entry: FsEntry
  content?: Content
  children?: Map<string, Node>
}

/** One entry of one layer, as read from its tar. `path` is relative (`usr/bin/x`). */
export interface LayerEntry {
  path: string
  type: EntryType | 'hardlink'
  mode: number
  size: number
  linkTarget?: string
  content?: Content
}

const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'

/** Layers applied one over the other, with whiteouts. */
export class LayeredTree {
  readonly root: Node = { entry: { type: 'dir', mode: 0o755, size: 0, layer: 0 }, children: new Map() }
  private count = 0

  constructor(private readonly maxEntries = 2_000_000) {}

  /** Apply one layer: its whiteouts remove from the layers below, then its entries are added in order. */
  apply(entries: readonly LayerEntry[], layer: number): void {
    for (const e of entries) {
      const parts = e.path.split('/')
      const base = parts.at(-1)!
      if (!base.startsWith(WHITEOUT)) continue
      const dir = this.find(parts.slice(0, -1))
      if (!dir?.children) continue
      if (base === OPAQUE) dir.children.clear()
      else dir.children.delete(base.slice(WHITEOUT.length))
    }
    for (const e of entries) {
      const parts = e.path.split('/')
      if (parts.at(-1)!.startsWith(WHITEOUT)) continue
      this.add(parts, e, layer)
    }
  }

  private find(parts: readonly string[]): Node | undefined {
    let node: Node | undefined = this.root
    for (const part of parts) {
      node = node.children?.get(part)
      if (!node) return undefined
    }
    return node
  }

  private add(parts: readonly string[], e: LayerEntry, layer: number): void {
    if (++this.count > this.maxEntries) throw new ImageArchiveError(`the image has more than ${this.maxEntries} filesystem entries`)
    let dir = this.root
    for (const part of parts.slice(0, -1)) {
      let next = dir.children!.get(part)
      if (!next || next.entry.type !== 'dir') {
        next = { entry: { type: 'dir', mode: 0o755, size: 0, layer }, children: new Map() }
        dir.children!.set(part, next)
      }
      dir = next
    }
    const name = parts.at(-1)!
    const existing = dir.children!.get(name)
    if (e.type === 'dir') {
      const entry: FsEntry = { type: 'dir', mode: e.mode, size: 0, layer }
      if (existing?.entry.type === 'dir') existing.entry = entry
      else dir.children!.set(name, { entry, children: new Map() })
      return
    }
    if (e.type === 'hardlink') {
      const target = this.find(
        normalizeImagePath(e.linkTarget ?? '')
          .split('/')
          .filter(Boolean)
      )
      const size = target?.entry.type === 'file' ? target.entry.size : 0
      dir.children!.set(name, { entry: { type: 'file', mode: e.mode, size, layer }, content: target?.content })
      return
    }
    const entry: FsEntry = { type: e.type, mode: e.mode, size: e.type === 'file' ? e.size : 0, layer }
    if (e.type === 'symlink') entry.linkTarget = e.linkTarget ?? ''
    dir.children!.set(name, { entry, content: e.content })
  }

  lookup(p: string): Node | undefined {
    return this.find(p.split('/').filter((x) => x !== '' && x !== '.'))
  }
}

/** An ImageFs over a merged tree; file bytes come from memory or a spool file. */
class TreeImageFs implements ImageFs {
  /** Bytes handed out by readFile. */
  bytesRead = 0
  constructor(
    readonly config: ImageConfig,
    private readonly tree: LayeredTree,
    private readonly spoolFd?: number
  ) {}

  lstat(p: string): FsEntry | undefined {
    return this.tree.lookup(normalizeImagePath(p))?.entry
  }
  readdir(p: string): string[] | undefined {
    const node = this.tree.lookup(normalizeImagePath(p))
    return node?.children ? [...node.children.keys()] : undefined
  }
  readFile(p: string, maxBytes = 64 * 1024 * 1024, offset = 0): Buffer | undefined {
    const node = this.tree.lookup(normalizeImagePath(p))
    if (!node || node.entry.type !== 'file' || !node.content) return node?.entry.type === 'file' && node.entry.size === 0 ? Buffer.alloc(0) : undefined
    const c = node.content
    const length = c.kind === 'memory' ? c.data.length : c.length
    const start = Math.min(Math.max(0, offset), length)
    const n = Math.max(0, Math.min(maxBytes, length - start))
    this.bytesRead += n
    if (c.kind === 'memory') return c.data.subarray(start, start + n)
    if (this.spoolFd === undefined) return undefined
    const buf = Buffer.allocUnsafe(n)
    let got = 0
    while (got < n) {
      const r = fs.readSync(this.spoolFd, buf, got, n - got, c.offset + start + got)
      if (r <= 0) break
      got += r
    }
    return buf.subarray(0, got)
  }
  realpath(p: string): ResolveResult {
    return resolveInRoot((q) => this.lstat(q), p)
  }
}

/** A file for {@link createMemoryImageFs}: a path (absolute or relative) and what is there. */
export interface MemoryEntry {
  path: string
  type?: EntryType | 'hardlink'
  mode?: number
  content?: Buffer | string
  /** Symlink or hardlink target. */
  target?: string
}

/** Default config values, overridden by `partial`. */
export function imageConfig(partial: Partial<ImageConfig> = {}): ImageConfig {
  return { entrypoint: null, cmd: null, env: [], workingDir: '', user: '', architecture: 'amd64', os: 'linux', ...partial }
}

/** An in-memory image: layers of entries (whiteouts as `.wh.` names), applied in order. */
export function createMemoryImageFs(config: Partial<ImageConfig>, layers: ReadonlyArray<readonly MemoryEntry[]>): ImageFs {
  const tree = new LayeredTree()
  layers.forEach((layer, i) => {
    tree.apply(
      layer.map((m): LayerEntry => {
        const type = m.type ?? (m.target !== undefined ? 'symlink' : m.content !== undefined ? 'file' : 'dir')
        const data = m.content === undefined ? undefined : Buffer.isBuffer(m.content) ? m.content : Buffer.from(m.content)
        return {
          path: normalizeImagePath(m.path).slice(1),
          type,
          mode: m.mode ?? (type === 'dir' ? 0o755 : type === 'file' ? 0o755 : 0o777),
          size: data?.length ?? 0,
          linkTarget: m.target,
          content: data ? { kind: 'memory', data } : undefined
        }
      }),
      i
    )
  })
  return new TreeImageFs(imageConfig(config), tree)
}

// ---------------------------------------------------------------------------------------------
// Reading a `docker save` archive

export interface ArchiveLimits {
  /** Entries across all layers. */
  maxEntries: number
  /** Uncompressed bytes across all layers. */
  maxLayerBytes: number
  /** Bytes copied to the spool. */
  maxSpoolBytes: number
  /** Largest single file copied to the spool. */
  maxSpooledFile: number
  /** Largest JSON document (manifest, index, config). */
  maxJsonBytes: number
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: 2_000_000,
  maxLayerBytes: 64 * 1024 ** 3,
  maxSpoolBytes: 8 * 1024 ** 3,
  maxSpooledFile: 512 * 1024 ** 2,
  maxJsonBytes: 8 * 1024 ** 2
}

export interface ArchiveStats {
  /** Bytes of the archive streamed. */
  archiveBytes: number
  /** Uncompressed layer bytes parsed. */
  layerBytes: number
  /** File bytes copied to the spool. */
  spooledBytes: number
  entries: number
  layers: number
}

/** An image read from an archive; `close()` deletes its spool. */
export interface ArchiveImageFs extends ImageFs {
  readonly stats: ArchiveStats
  /** Bytes handed out by readFile so far. */
  readonly bytesRead: number
  close(): void
}

export interface ReadArchiveOptions {
  /** Platform to pick when the archive holds several, e.g. `linux/arm64`. */
  platform?: string
  /** Reference to pick when the archive's manifest.json lists several images. */
  ref?: string
  /** Directory for the spool file (default RUNNER_TEMP or the OS temp dir). */
  tempDir?: string
  limits?: Partial<ArchiveLimits>
}

/** Whether an analysis may need the bytes of this file: executables, shared objects, loader configuration. */
export function wantsContent(p: string, mode: number): boolean {
  if (mode & 0o111) return true
  const base = p.slice(p.lastIndexOf('/') + 1)
  if (/\.so(\.[0-9]+)*$/.test(base) || /\.so\./.test(base)) return true
  return p === 'etc/ld.so.conf' || p.startsWith('etc/ld.so.conf.d/') || /^etc\/ld-musl-[^/]+\.path$/.test(p)
}

type BlobKind = 'json' | 'tar' | 'gzip' | 'zstd' | 'other'

function sniff(head: Buffer): BlobKind {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd'
  let i = 0
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++
  if (head[i] === 0x7b || head[i] === 0x5b) return 'json'
  if (head.length >= 512 && (head.subarray(257, 262).toString('latin1') === 'ustar' || head.subarray(0, 512).every((b) => b === 0))) return 'tar'
  return 'other'
}

/** A relative archive path with `.`/`..` resolved; undefined when it would leave the root. */
function archivePath(name: string): string | undefined {
  const out: string[] = []
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length === 0) return undefined
      out.pop()
    } else out.push(part)
  }
  return out.length > 0 && out.join('/').length <= 4096 ? out.join('/') : undefined
}

interface LayerBlob {
  entries?: LayerEntry[]
  error?: string
}

class Spool {
  readonly fd: number
  bytes = 0
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w+', 0o600)
  }
  write(chunk: Buffer): void {
    let done = 0
    while (done < chunk.length) done += fs.writeSync(this.fd, chunk, done, chunk.length - done, this.bytes + done)
    this.bytes += chunk.length
  }
  close(): void {
    try {
      fs.closeSync(this.fd)
    } catch {
      /* already closed */
    }
    fs.rmSync(this.file, { force: true })
  }
}

/** Read an image archive (classic `docker save` or OCI layout) from a stream. */
export async function readImageArchive(input: Readable, options: ReadArchiveOptions = {}): Promise<ArchiveImageFs> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const tempDir = options.tempDir ?? process.env.RUNNER_TEMP ?? os.tmpdir()
  const spool = new Spool(path.join(fs.mkdtempSync(path.join(tempDir, 'image-fs-')), 'spool'))
  fs.rmSync(path.dirname(spool.file), { recursive: true, force: true }) // the open descriptor keeps the file; nothing is left behind
  const stats: ArchiveStats = { archiveBytes: 0, layerBytes: 0, spooledBytes: 0, entries: 0, layers: 0 }
  try {
    const json = new Map<string, unknown>()
    const blobs = new Map<string, LayerBlob>()
    const links = new Map<string, string>()
    const outer = tar.extract()
    input.on('data', (c: Buffer) => (stats.archiveBytes += c.length))
    input.on('error', (err) => outer.destroy(err))
    input.pipe(outer)
    let outerEntries = 0
    try {
      for await (const entry of outer) {
        if (++outerEntries > 100_000) throw new ImageArchiveError('the archive has too many entries')
        const name = archivePath(entry.header.name)
        if (name !== undefined && entry.header.type === 'symlink' && entry.header.linkname) {
          const target = archivePath(path.posix.join(path.posix.dirname(name), entry.header.linkname))
          if (target) links.set(name, target)
        }
        if (name === undefined || entry.header.type !== 'file') {
          entry.resume()
          continue
        }
        const chunks = entry[Symbol.asyncIterator]() as AsyncIterator<Buffer>
        const head: Buffer[] = []
        let headBytes = 0
        let ended = false
        while (headBytes < 512) {
          const r = await chunks.next()
          if (r.done) {
            ended = true
            break
          }
          head.push(r.value)
          headBytes += r.value.length
        }
        const kind = sniff(Buffer.concat(head))
        if (kind === 'json' && (entry.header.size ?? 0) <= limits.maxJsonBytes) {
          const all = [...head]
          if (!ended) for (let r = await chunks.next(); !r.done; r = await chunks.next()) all.push(r.value)
          try {
            json.set(name, JSON.parse(Buffer.concat(all).toString('utf8')))
          } catch {
            /* not JSON after all */
          }
        } else if (kind === 'tar' || kind === 'gzip') {
          stats.layers++
          blobs.set(name, await parseLayer(head, ended ? undefined : chunks, kind === 'gzip', spool, stats, limits))
        } else {
          if (kind === 'zstd') blobs.set(name, { error: 'the layer is zstd-compressed, which is not supported' })
          if (!ended) for (let r = await chunks.next(); !r.done; r = await chunks.next());
        }
      }
    } catch (err) {
      if (err instanceof ImageArchiveError) throw err
      throw new ImageArchiveError(`the image archive is unreadable: ${(err as Error).message}`)
    }
    stats.spooledBytes = spool.bytes
    const { config, layers } = pickImage(json, links, options)
    const tree = new LayeredTree(limits.maxEntries)
    layers.forEach((layerPath, i) => {
      const blob = blobs.get(resolveLink(layerPath, links))
      if (!blob) throw new ImageArchiveError(`layer ${layerPath} is missing from the archive`)
      if (blob.error) throw new ImageArchiveError(`layer ${layerPath}: ${blob.error}`)
      tree.apply(blob.entries ?? [], i)
    })
    const fsView = new TreeImageFs(config, tree, spool.fd)
    return Object.assign(fsView, { stats, close: () => spool.close() }) as TreeImageFs & ArchiveImageFs
  } catch (err) {
    spool.close()
    throw err
  }
}

function resolveLink(p: string, links: Map<string, string>): string {
  let cur = archivePath(p) ?? p
  for (let i = 0; i < 8 && links.has(cur); i++) cur = links.get(cur)!
  return cur
}

/** Parse one layer tar (maybe gzip-compressed) from the rest of an outer entry, always draining it. */
async function parseLayer(
  head: Buffer[],
  rest: AsyncIterator<Buffer> | undefined,
  gzip: boolean,
  spool: Spool,
  stats: ArchiveStats,
  limits: ArchiveLimits
): Promise<LayerBlob> {
  const extract = tar.extract()
  const gunzip = gzip ? zlib.createGunzip() : undefined
  const sink = (gunzip ?? extract) as unknown as Writable
  if (gunzip) {
    gunzip.on('error', (err) => extract.destroy(err))
    gunzip.pipe(extract)
  }
  let failure: Error | undefined
  const entries: LayerEntry[] = []
  const consumed = consumeLayer(extract, entries, spool, stats, limits).catch((err: Error) => {
    failure = err
    gunzip?.destroy()
    extract.destroy()
  })
  const write = async (chunk: Buffer): Promise<void> => {
    if (failure || sink.destroyed) return
    if (!sink.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          sink.off('drain', done)
          sink.off('close', done)
          sink.off('error', done)
          resolve()
        }
        sink.on('drain', done)
        sink.on('close', done)
        sink.on('error', done)
      })
    }
  }
  for (const c of head) await write(c)
  if (rest) for (let r = await rest.next(); !r.done; r = await rest.next()) await write(r.value)
  if (!failure && !sink.destroyed) sink.end()
  await consumed
  return failure ? { error: failure.message } : { entries }
}

async function consumeLayer(extract: tar.Extract, entries: LayerEntry[], spool: Spool, stats: ArchiveStats, limits: ArchiveLimits): Promise<void> {
  for await (const e of extract) {
    const h = e.header
    if (++stats.entries > limits.maxEntries) throw new ImageArchiveError(`the image has more than ${limits.maxEntries} filesystem entries`)
    const size = h.size ?? 0
    stats.layerBytes += size
    if (stats.layerBytes > limits.maxLayerBytes) throw new ImageArchiveError('the layers are larger than the limit')
    const p = archivePath(h.name)
    const mode = (h.mode ?? 0) & 0o7777
    const type: LayerEntry['type'] | undefined =
      h.type === 'file' || h.type === 'contiguous-file'
        ? 'file'
        : h.type === 'directory'
          ? 'dir'
          : h.type === 'symlink'
            ? 'symlink'
            : h.type === 'link'
              ? 'hardlink'
              : 'other'
    if (p === undefined) {
      e.resume()
      continue
    }
    const item: LayerEntry = { path: p, type, mode, size }
    if (type === 'symlink' || type === 'hardlink') item.linkTarget = (h.linkname ?? '').slice(0, 4096)
    if (type === 'file' && size > 0 && size <= limits.maxSpooledFile && spool.bytes + size <= limits.maxSpoolBytes && wantsContent(p, mode)) {
      const offset = spool.bytes
      for await (const chunk of e as AsyncIterable<Buffer>) spool.write(chunk)
      item.content = { kind: 'spool', offset, length: spool.bytes - offset }
    } else {
      e.resume()
    }
    entries.push(item)
  }
}

interface Descriptor {
  mediaType?: string
  digest?: string
  platform?: { architecture?: string; os?: string; variant?: string }
}

function blobPath(digest: unknown): string | undefined {
  if (typeof digest !== 'string') return undefined
  const m = /^([a-z0-9]+):([a-f0-9]{32,128})$/.exec(digest)
  return m ? `blobs/${m[1]}/${m[2]}` : undefined
}

function platformMatches(want: string | undefined, arch?: string, osName?: string, variant?: string): boolean {
  if (!want) return true
  const [wOs, wArch, wVariant] = want.split('/')
  if (wOs !== osName || wArch !== arch) return false
  return !wVariant || !variant || wVariant === variant
}

/** Pick the image (config + ordered layer paths) from manifest.json, or from the OCI index. */
function pickImage(json: Map<string, unknown>, links: Map<string, string>, options: ReadArchiveOptions): { config: ImageConfig; layers: string[] } {
  const get = (p: string): unknown => json.get(resolveLink(p, links))
  const manifest = json.get('manifest.json')
  if (Array.isArray(manifest) && manifest.length > 0) {
    const items = manifest.filter(
      (m): m is { Config: string; Layers: string[]; RepoTags?: string[] } => typeof m?.Config === 'string' && Array.isArray(m?.Layers)
    )
    const parsed = items.map((m) => ({ m, raw: get(m.Config) }))
    const chosen =
      parsed.find((x) => options.ref && x.m.RepoTags?.includes(options.ref) && configPlatformMatches(x.raw, options.platform)) ??
      parsed.find((x) => configPlatformMatches(x.raw, options.platform)) ??
      parsed[0]
    if (chosen) {
      if (chosen.raw === undefined) throw new ImageArchiveError(`the image config ${chosen.m.Config} is missing from the archive`)
      return { config: toImageConfig(chosen.raw), layers: chosen.m.Layers.filter((l) => typeof l === 'string') }
    }
  }
  const index = json.get('index.json')
  if (index && typeof index === 'object') {
    const candidates: Array<{ manifest: Record<string, unknown>; platform?: Descriptor['platform'] }> = []
    const visit = (node: unknown, depth: number): void => {
      if (depth > 4 || !node || typeof node !== 'object') return
      const list = (node as { manifests?: unknown }).manifests
      if (!Array.isArray(list)) return
      for (const d of list.slice(0, 256) as Descriptor[]) {
        const doc = get(blobPath(d?.digest) ?? '')
        if (!doc || typeof doc !== 'object') continue
        if (Array.isArray((doc as { manifests?: unknown }).manifests)) visit(doc, depth + 1)
        else if (Array.isArray((doc as { layers?: unknown }).layers)) candidates.push({ manifest: doc as Record<string, unknown>, platform: d.platform })
      }
    }
    visit(index, 0)
    const withConfig = candidates
      .map((c) => ({ ...c, raw: get(blobPath((c.manifest.config as Descriptor | undefined)?.digest) ?? '') }))
      .filter((c) => c.raw !== undefined)
    const chosen =
      withConfig.find((c) => configPlatformMatches(c.raw, options.platform)) ??
      withConfig.find((c) => platformMatches(options.platform, c.platform?.architecture, c.platform?.os, c.platform?.variant)) ??
      withConfig[0]
    if (chosen) {
      const layers = (chosen.manifest.layers as Descriptor[]).map((l) => blobPath(l?.digest)).filter((l): l is string => l !== undefined)
      return { config: toImageConfig(chosen.raw), layers }
    }
  }
  throw new ImageArchiveError('the archive has no readable image manifest (manifest.json or index.json)')
}

function configPlatformMatches(raw: unknown, platform?: string): boolean {
  if (!raw || typeof raw !== 'object') return false
  const c = raw as { architecture?: string; os?: string; variant?: string }
  return platformMatches(platform, c.architecture, c.os, c.variant)
}

function stringArray(v: unknown): string[] | null {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null
}

/** The start-relevant part of an image config JSON, defensively typed. */
export function toImageConfig(raw: unknown): ImageConfig {
  const top = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  const c = (top.config && typeof top.config === 'object' ? top.config : {}) as Record<string, unknown>
  const str = (v: unknown): string => (typeof v === 'string' ? v : '')
  const out: ImageConfig = {
    entrypoint: stringArray(c.Entrypoint),
    cmd: stringArray(c.Cmd),
    env: stringArray(c.Env) ?? [],
    workingDir: str(c.WorkingDir),
    user: str(c.User),
    architecture: str(top.architecture),
    os: str(top.os)
  }
  if (typeof top.variant === 'string' && top.variant) out.variant = top.variant
  return out
}

/** Stream `docker save <ref>` into an ImageFs. */
export async function openImage(ref: string, options: Omit<ReadArchiveOptions, 'ref'> = {}): Promise<ArchiveImageFs> {
  try {
    return await readStreaming(
      'docker',
      ['save', ref],
      (archive) => readImageArchive(archive, { ...options, ref }),
      (image) => image.close()
    )
  } catch (error) {
    if (error instanceof CommandError) throw new ImageArchiveError(error.message)
    throw error
  }
}
