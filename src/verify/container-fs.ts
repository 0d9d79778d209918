/**
 * The filesystem of an image read straight from the engine, without saving the image: a container is
 * created (never started) and single paths are read through the archive API — `HEAD …/archive` for
 * a path's stat, `GET …/archive` for a file's bytes (only the blocks asked for) or a small
 * directory's names. The analysis is synchronous and pure, so it runs over a {@link PrefetchImageFs}
 * that answers from what has been fetched and records what it lacks; {@link examineInContainer}
 * fetches that and runs it again until a run asks for nothing new.
 */
import * as tar from 'tar-stream'
import { docker } from '../docker/exec.js'
import { EngineApi, EngineApiError } from '../docker/api.js'
import { analyzeStart, type StartAnalysis } from './linkage.js'
import { normalizeImagePath, resolveInRoot, toImageConfig, wantsContent, type FsEntry, type ImageConfig, type ImageFs, type ResolveResult } from './rootfs.js'

/** File bytes are fetched and kept in blocks of this size. */
export const BLOCK_SIZE = 64 * 1024
/** Files up to this size are fetched whole the first time they are read. */
const WHOLE_FILE_BYTES = 1024 * 1024

export interface FetchLimits {
  /** Analysis runs (each followed by one batch of fetches). */
  maxRounds: number
  /** File bytes kept in memory. */
  maxKeptBytes: number
  /** Archive bytes streamed from the engine. */
  maxStreamedBytes: number
  /** Largest file whose bytes are read (as the archive reader's spool limit). */
  maxFileBytes: number
  /** Bytes of a directory's archive read to list it; larger directories are not listed. */
  maxListingBytes: number
  /** Requests in flight at once. */
  concurrency: number
  /** Give up (and remove the container) after this long. */
  deadlineMs: number
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = {
  maxRounds: 16,
  maxKeptBytes: 256 * 1024 ** 2,
  maxStreamedBytes: 2 * 1024 ** 3,
  maxFileBytes: 512 * 1024 ** 2,
  maxListingBytes: 1024 * 1024,
  concurrency: 8,
  deadlineMs: 120_000
}

/** What the prefetching view lacks after one analysis run. */
export interface Wants {
  stats: Set<string>
  /** Path → block indexes. */
  blocks: Map<string, Set<number>>
  listings: Set<string>
}

type Listing = { names: string[] } | { tooLarge: true } | null

/** A Go `os.FileMode` (as the archive API's path stat carries it) as an {@link FsEntry}. */
export function entryFromGoMode(goMode: number, size: number, linkTarget?: string): FsEntry {
  const bit = (n: number): boolean => Math.floor(goMode / 2 ** n) % 2 === 1
  const type: FsEntry['type'] = bit(31) ? 'dir' : bit(27) ? 'symlink' : bit(26) || bit(25) || bit(24) || bit(21) || bit(19) ? 'other' : 'file'
  const mode = (goMode % 0o1000) | (bit(23) ? 0o4000 : 0) | (bit(22) ? 0o2000 : 0) | (bit(20) ? 0o1000 : 0)
  const entry: FsEntry = { type, mode, size: type === 'file' ? size : 0, layer: 0 }
  if (type === 'symlink') entry.linkTarget = linkTarget ?? ''
  return entry
}

/**
 * An ImageFs that answers from fetched stats, file blocks and listings, and records everything it
 * was asked for but does not have. Pure: it never fetches anything itself.
 */
export class PrefetchImageFs implements ImageFs {
  readonly stats = new Map<string, FsEntry | null>()
  readonly blocks = new Map<string, Map<number, Buffer>>()
  readonly listings = new Map<string, Listing>()
  /** Files whose bytes will not be fetched (over a limit, or the read failed): reads answer with what is there. */
  readonly unreadable = new Set<string>()
  /** Bytes handed out by readFile. */
  bytesRead = 0
  private wants: Wants = { stats: new Set(), blocks: new Map(), listings: new Set() }

  constructor(
    readonly config: ImageConfig,
    private readonly maxFileBytes = DEFAULT_FETCH_LIMITS.maxFileBytes
  ) {}

  /** What the runs since the last call lacked; clears the record. */
  takeWants(): Wants {
    const w = this.wants
    this.wants = { stats: new Set(), blocks: new Map(), listings: new Set() }
    return w
  }

  lstat(p: string): FsEntry | undefined {
    const n = normalizeImagePath(p)
    if (n === '/') return { type: 'dir', mode: 0o755, size: 0, layer: 0 }
    const parts = n.slice(1).split('/')
    let prefix = ''
    for (let i = 0; i < parts.length; i++) {
      prefix += '/' + parts[i]
      if (!this.stats.has(prefix)) {
        // Ask for this prefix and everything below it at once: one round, not one per component.
        let rest = prefix
        this.wants.stats.add(rest)
        for (const part of parts.slice(i + 1)) this.wants.stats.add((rest += '/' + part))
        return undefined
      }
      const entry = this.stats.get(prefix)
      if (i === parts.length - 1) return entry ?? undefined
      if (entry?.type !== 'dir') return undefined
    }
    return undefined
  }

  readdir(p: string): string[] | undefined {
    const n = normalizeImagePath(p)
    const known = n === '/' || this.stats.has(n)
    if (known && this.lstat(n)?.type !== 'dir') return undefined
    if (!this.listings.has(n)) {
      // Ask for the listing with the stat: a listing of what is not a directory comes back empty.
      if (!known) this.lstat(n)
      this.wants.listings.add(n)
      return undefined
    }
    const listing = this.listings.get(n)
    return listing && 'names' in listing ? [...listing.names] : undefined
  }

  readFile(p: string, maxBytes = 64 * 1024 * 1024, offset = 0): Buffer | undefined {
    const n = normalizeImagePath(p)
    const entry = this.lstat(n)
    if (entry?.type !== 'file') return undefined
    if (entry.size === 0) return Buffer.alloc(0)
    if (entry.size > this.maxFileBytes || !wantsContent(n.slice(1), entry.mode)) return undefined
    const start = Math.min(Math.max(0, offset), entry.size)
    const end = Math.min(entry.size, start + Math.max(0, maxBytes))
    if (end <= start) return Buffer.alloc(0)
    const have = this.blocks.get(n)
    const first = Math.floor(start / BLOCK_SIZE)
    const last = Math.floor((end - 1) / BLOCK_SIZE)
    const missing: number[] = []
    for (let b = first; b <= last; b++) if (!have?.has(b)) missing.push(b)
    if (missing.length > 0) {
      if (this.unreadable.has(n)) return undefined
      const want = this.wants.blocks.get(n) ?? new Set<number>()
      const lastBlock = Math.floor((entry.size - 1) / BLOCK_SIZE)
      if (!have) {
        // First read of this file: take it whole when small, else its head and tail (ELF headers and section table).
        if (entry.size <= WHOLE_FILE_BYTES) for (let b = 0; b <= lastBlock; b++) want.add(b)
        else want.add(0).add(lastBlock)
      }
      for (const b of missing) want.add(b)
      this.wants.blocks.set(n, want)
      return undefined
    }
    const parts: Buffer[] = []
    for (let b = first; b <= last; b++) parts.push(have!.get(b)!)
    const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    const out = joined.subarray(start - first * BLOCK_SIZE, end - first * BLOCK_SIZE)
    this.bytesRead += out.length
    return out
  }

  realpath(p: string): ResolveResult {
    return resolveInRoot((q) => this.lstat(q), p)
  }
}

export interface ContainerFsStats {
  requests: number
  /** Archive bytes streamed from the engine. */
  bytesStreamed: number
  /** File bytes kept for the analysis. */
  bytesKept: number
  /** Bytes the analysis read. */
  bytesRead: number
  rounds: number
  durationMs: number
}

export interface ContainerAnalysis extends StartAnalysis {
  config: ImageConfig
  stats: ContainerFsStats
  /** Things the examination could not do completely (said as notices). */
  notices: string[]
  /** Symlinks the engine refused to resolve (loops): their targets, and so the links that go round, are unknown here. */
  untracedLoops: string[]
}

/** The API path cannot be used for this image (engine unreachable, image unknown to it …): use the archive reader. */
export class ContainerFsUnavailable extends Error {
  override name = 'ContainerFsUnavailable'
}

export const EXAMINE_LABEL = 'org.smokestack.role'
export const EXAMINE_ROLE = 'examine'

interface ImageInspect {
  Architecture?: string
  Os?: string
  Variant?: string
  Config?: Record<string, unknown>
}

/** Fetches for one container, counted and bounded. */
class ArchiveReader {
  requests = 0
  bytesStreamed = 0
  bytesKept = 0
  readonly notices: string[] = []

  constructor(
    private readonly api: EngineApi,
    private readonly id: string,
    private readonly limits: FetchLimits
  ) {}

  private archivePath(p: string): string {
    return `/containers/${this.id}/archive?path=${encodeURIComponent(p)}`
  }

  /** The stat of `p` (null when absent); symlinks carry their literal target, and `resolved` is where the engine says they lead. */
  async stat(p: string): Promise<(FsEntry & { resolved?: string }) | null> {
    this.requests++
    const res = await this.api.request({ method: 'HEAD', path: this.archivePath(p), maxBytes: 64 * 1024 })
    if (res.status === 404) return null
    const header = res.headers['x-docker-container-path-stat']
    if (res.status !== 200 || typeof header !== 'string') {
      // The engine cannot stat it: read the entry itself (which also tells a symlink loop).
      const head = await this.firstEntry(p, 0, () => true).catch(() => undefined)
      return head?.entry ?? null
    }
    const parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size?: number; mode?: number; linkTarget?: string }
    const entry = entryFromGoMode(Number(parsed.mode ?? 0), Number(parsed.size ?? 0))
    if (entry.type === 'symlink') {
      // The stat's linkTarget is fully resolved; the tar entry has the link's own target.
      const head = await this.firstEntry(p, 0, () => true)
      entry.linkTarget = head?.entry?.linkTarget ?? parsed.linkTarget ?? ''
      if (typeof parsed.linkTarget === 'string' && parsed.linkTarget.startsWith('/')) return { ...entry, resolved: normalizeImagePath(parsed.linkTarget) }
    }
    return entry
  }

  /** The blocks of file `p` listed in `wanted`, streamed once from its start and cut at the last one. */
  async blocks(p: string, size: number, wanted: ReadonlySet<number>): Promise<Map<number, Buffer> | undefined> {
    const sorted = [...wanted].sort((a, b) => a - b)
    const limit = Math.min(size, (sorted.at(-1)! + 1) * BLOCK_SIZE)
    const out = new Map<number, Buffer>()
    const keep = (b: number): boolean => wanted.has(b)
    const head = await this.firstEntry(p, limit, keep, out)
    if (!head || head.entry.type !== 'file') return undefined
    return out
  }

  /** Names directly in directory `p`, from its archive read headers-only up to a byte cap. */
  async list(p: string): Promise<Listing> {
    this.requests++
    const res = await this.api.open({ method: 'GET', path: this.archivePath(p) })
    if (res.status !== 200) {
      res.close()
      return null
    }
    const names = new Set<string>()
    let streamed = 0
    let tooLarge = false
    const extract = tar.extract()
    res.body.on('data', (c: Buffer) => {
      streamed += c.length
      this.bytesStreamed += c.length
      if (streamed > this.limits.maxListingBytes) {
        tooLarge = true
        res.close()
        extract.destroy()
      }
    })
    res.body.on('error', (err) => extract.destroy(err))
    res.body.pipe(extract)
    try {
      for await (const e of extract) {
        const parts = e.header.name.split('/').filter((x) => x !== '' && x !== '.')
        if (parts.length === 2) names.add(parts[1]!)
        e.resume()
      }
    } catch (err) {
      if (!tooLarge) throw err
    } finally {
      res.close()
    }
    return tooLarge ? { tooLarge: true } : { names: [...names].sort() }
  }

  /**
   * Read the first entry of the archive of `p`: its header, and its content up to `limit` bytes,
   * keeping the blocks `keep` accepts in `into`. The stream is closed as soon as that is done.
   */
  private async firstEntry(p: string, limit: number, keep: (block: number) => boolean, into?: Map<number, Buffer>): Promise<{ entry: FsEntry } | undefined> {
    this.requests++
    const res = await this.api.open({ method: 'GET', path: this.archivePath(p) })
    if (res.status !== 200) {
      const refusal = res.status === 500 ? await firstBytes(res.body, 4096) : ''
      res.close()
      // A symlink loop: the engine evaluates the link's target and gives up, so its own target is not shown.
      return /too many (levels of symbolic )?links/i.test(refusal) ? { entry: { type: 'symlink', mode: 0o777, size: 0, layer: 0, loop: true } } : undefined
    }
    const extract = tar.extract()
    res.body.on('data', (c: Buffer) => (this.bytesStreamed += c.length))
    res.body.on('error', (err) => extract.destroy(err))
    res.body.pipe(extract)
    try {
      for await (const e of extract) {
        const h = e.header
        const type: FsEntry['type'] =
          h.type === 'file' || h.type === 'contiguous-file' ? 'file' : h.type === 'directory' ? 'dir' : h.type === 'symlink' ? 'symlink' : 'other'
        const entry: FsEntry = { type, mode: (h.mode ?? 0) & 0o7777, size: type === 'file' ? (h.size ?? 0) : 0, layer: 0 }
        if (type === 'symlink') entry.linkTarget = (h.linkname ?? '').slice(0, 4096)
        if (type === 'file' && into && limit > 0) await this.collect(e as AsyncIterable<Buffer>, limit, keep, into)
        return { entry }
      }
      return undefined
    } finally {
      res.close()
      extract.destroy()
    }
  }

  private async collect(content: AsyncIterable<Buffer>, limit: number, keep: (block: number) => boolean, into: Map<number, Buffer>): Promise<void> {
    let pos = 0
    let pending: Buffer[] = []
    let pendingBytes = 0
    for await (const chunk of content) {
      let c = chunk
      while (c.length > 0 && pos < limit) {
        const block = Math.floor(pos / BLOCK_SIZE)
        const room = Math.min((block + 1) * BLOCK_SIZE, limit) - pos
        const piece = c.subarray(0, room)
        if (keep(block)) {
          pending.push(piece)
          pendingBytes += piece.length
        }
        pos += piece.length
        c = c.subarray(piece.length)
        if (pos === Math.min((block + 1) * BLOCK_SIZE, limit)) {
          if (pendingBytes > 0) {
            into.set(block, Buffer.concat(pending))
            this.bytesKept += pendingBytes
          }
          pending = []
          pendingBytes = 0
        }
      }
      if (pos >= limit) return
      if (this.bytesStreamed > this.limits.maxStreamedBytes) throw new EngineApiError('the streamed bytes exceed the limit')
    }
  }
}

/** The first `max` bytes of a response body, as text. */
async function firstBytes(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      chunks.push(chunk)
      size += chunk.length
      if (size >= max) break
    }
  } catch {
    /* what arrived is enough */
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8')
}

/** Run `tasks` with at most `concurrency` in flight. */
async function pool(tasks: Array<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!()
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker))
}

/** Fetch what one analysis run lacked into `view`. */
async function fetchWants(view: PrefetchImageFs, wants: Wants, reader: ArchiveReader, limits: FetchLimits): Promise<void> {
  const tasks: Array<() => Promise<void>> = []
  const leaves = new Set([...wants.stats].filter((p) => ![...wants.stats].some((q) => q.startsWith(p + '/'))))
  const statTask = (p: string, depth: number) => async (): Promise<void> => {
    if (view.stats.has(p)) return
    const got = await reader.stat(p)
    const { resolved, ...entry } = got ?? {}
    view.stats.set(p, got ? (entry as FsEntry) : null)
    if (!got || depth >= 8) return
    if (resolved !== undefined && resolved !== '/') {
      // Follow the link now rather than in the next round: stat where it leads, prefixes first.
      const parts = resolved.slice(1).split('/')
      for (let i = 1; i <= parts.length; i++) await statTask('/' + parts.slice(0, i).join('/'), depth + 1)()
      if (view.stats.get(resolved)?.type === 'file') await prefetchFile(resolved)
    } else if (leaves.has(p) && got.type === 'file') await prefetchFile(p)
  }
  // A file reached as a leaf is about to be read: fetch its first read now (as readFile would ask for it).
  const prefetchFile = async (p: string): Promise<void> => {
    const entry = view.stats.get(p)
    if (!entry || entry.type !== 'file' || entry.size === 0 || entry.size > limits.maxFileBytes || view.blocks.has(p) || !wantsContent(p.slice(1), entry.mode))
      return
    const last = Math.floor((entry.size - 1) / BLOCK_SIZE)
    const blocks = new Set<number>(entry.size <= WHOLE_FILE_BYTES ? Array.from({ length: last + 1 }, (_, i) => i) : [0, last])
    if (reader.bytesKept + blocks.size * BLOCK_SIZE > limits.maxKeptBytes) return
    const got = await reader.blocks(p, entry.size, blocks).catch(() => undefined)
    if (got && !view.blocks.has(p)) view.blocks.set(p, got)
  }
  for (const p of wants.stats) tasks.push(statTask(p, 0))
  for (const p of wants.listings)
    tasks.push(async () => {
      const listing = await reader.list(p)
      if (listing && 'tooLarge' in listing)
        reader.notices.push(`The directory \`${p}\` is too large to list, so the files an /etc/ld.so.conf include names there were not read.`)
      view.listings.set(p, listing)
    })
  for (const [p, blocks] of wants.blocks) {
    const entry = view.stats.get(p)
    if (!entry || entry.type !== 'file') continue
    const fresh = new Set([...blocks].filter((b) => !view.blocks.get(p)?.has(b)))
    if (fresh.size === 0) continue
    if (reader.bytesKept + fresh.size * BLOCK_SIZE > limits.maxKeptBytes || reader.bytesStreamed > limits.maxStreamedBytes) {
      view.unreadable.add(p)
      reader.notices.push(`The file \`${p}\` was not read: the examination reached its limit of bytes read.`)
      continue
    }
    tasks.push(async () => {
      const got = await reader.blocks(p, entry.size, fresh).catch(() => undefined)
      if (!got || [...fresh].some((b) => !got.has(b))) view.unreadable.add(p)
      if (!got) return
      const have = view.blocks.get(p) ?? new Map<number, Buffer>()
      for (const [b, buf] of got) have.set(b, buf)
      view.blocks.set(p, have)
    })
  }
  await pool(tasks, limits.concurrency)
}

/** Iterate analysis and fetches until a run asks for nothing new (or the round limit is reached). */
export async function analyzeWithPrefetch(
  view: PrefetchImageFs,
  fetch: (wants: Wants) => Promise<void>,
  platform: string,
  options: { args?: readonly string[]; maxRounds?: number; deadline?: number } = {}
): Promise<{ analysis: StartAnalysis; rounds: number; complete: boolean }> {
  const maxRounds = options.maxRounds ?? DEFAULT_FETCH_LIMITS.maxRounds
  for (let round = 1; ; round++) {
    view.bytesRead = 0
    const analysis = analyzeStart(view, platform, { args: options.args })
    const wants = view.takeWants()
    const nothingNew = wants.stats.size === 0 && wants.listings.size === 0 && [...wants.blocks.keys()].every((p) => view.unreadable.has(p))
    if (nothingNew) return { analysis, rounds: round, complete: true }
    if (round >= maxRounds || (options.deadline !== undefined && Date.now() > options.deadline)) return { analysis, rounds: round, complete: false }
    await fetch(wants)
  }
}

/** Is an engine error the refusal to create a container of an image that has neither ENTRYPOINT nor CMD? */
function noCommand(err: unknown): boolean {
  return err instanceof EngineApiError && /no command specified/i.test(err.message)
}

/**
 * Creates the examination container for `ref` on `platform` (never started) and reads the image's config as
 * the engine applied it to that platform: a multi-platform image's own inspect shows the engine's platform
 * only. Created with the image's own command so that ENTRYPOINT and CMD read back as they are; an image with
 * neither gets a placeholder command, and reads back with none. Retried without the platform for a
 * single-platform image of another one.
 */
async function createContainer(api: EngineApi, ref: string, platform: string, name: string | undefined): Promise<{ id: string; config: ImageInspect }> {
  const body = (cmd?: string[]): Record<string, unknown> => ({
    Image: ref,
    ...(cmd ? { Cmd: cmd } : {}),
    Labels: { [EXAMINE_LABEL]: EXAMINE_ROLE },
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none' }
  })
  const query = (withPlatform: boolean): string => {
    const params = new URLSearchParams()
    if (withPlatform) params.set('platform', platform)
    if (name) params.set('name', name)
    const text = params.toString()
    return `/containers/create${text ? `?${text}` : ''}`
  }
  const create = async (withPlatform: boolean): Promise<{ id: string; commandless: boolean }> => {
    try {
      return { id: (await api.json<{ Id: string }>({ method: 'POST', path: query(withPlatform), body: body() })).Id, commandless: false }
    } catch (err) {
      if (!noCommand(err)) throw err
      return { id: (await api.json<{ Id: string }>({ method: 'POST', path: query(withPlatform), body: body(['/.smokestack-examine']) })).Id, commandless: true }
    }
  }
  let created: { id: string; commandless: boolean }
  try {
    created = await create(true)
  } catch (err) {
    if (!(err instanceof EngineApiError) || err.status !== 404) throw err
    created = await create(false)
  }
  let inspect: { Config?: Record<string, unknown> }
  try {
    inspect = await api.json<{ Config?: Record<string, unknown> }>({ method: 'GET', path: `/containers/${created.id}/json` })
  } catch (err) {
    await removeContainer(api, created.id)
    throw err
  }
  const config = { ...(inspect.Config ?? {}) }
  if (created.commandless) {
    config.Cmd = null
    config.Entrypoint = null
  }
  const [os, architecture, variant] = platform.split('/')
  return { id: created.id, config: { Os: os, Architecture: architecture, Variant: variant, Config: config } }
}

/** Remove the container, through the API or else the CLI; never throws. */
async function removeContainer(api: EngineApi, id: string): Promise<void> {
  try {
    const res = await api.request({ method: 'DELETE', path: `/containers/${id}?force=1&v=1`, timeoutMs: 30_000 })
    if (res.status === 204 || res.status === 404) return
  } catch {
    /* try the CLI */
  }
  await docker(['rm', '-f', '-v', id], { allowFailure: true, timeoutMs: 60_000, cleanup: true }).catch(() => undefined)
}

/**
 * Examine what `ref` starts on `platform`, reading only the files the analysis needs from a created
 * (never started) container, which is always removed. Throws {@link ContainerFsUnavailable} when the
 * engine API cannot be used, so the caller can read the image another way.
 */
export async function examineInContainer(
  ref: string,
  platform: string,
  options: { args?: readonly string[]; limits?: Partial<FetchLimits>; env?: NodeJS.ProcessEnv; containerName?: string } = {}
): Promise<ContainerAnalysis> {
  const started = Date.now()
  const limits = { ...DEFAULT_FETCH_LIMITS, ...options.limits }
  const client = EngineApi.fromEnv(options.env)
  if (!(client instanceof EngineApi)) throw new ContainerFsUnavailable(`the engine API is not used for ${client.unsupported}`)
  const api = client
  let id: string | undefined
  try {
    if ((await api.ping()) === undefined) throw new ContainerFsUnavailable('the engine API does not answer')
    let inspect: ImageInspect
    try {
      const created = await createContainer(api, ref, platform, options.containerName)
      id = created.id
      inspect = created.config
    } catch (err) {
      throw new ContainerFsUnavailable((err as Error).message)
    }
    const config = toImageConfig({ config: inspect.Config, architecture: inspect.Architecture, os: inspect.Os, variant: inspect.Variant })
    const view = new PrefetchImageFs(config, limits.maxFileBytes)
    const reader = new ArchiveReader(api, id, limits)
    const { analysis, rounds, complete } = await analyzeWithPrefetch(view, (wants) => fetchWants(view, wants, reader, limits), platform, {
      args: options.args,
      maxRounds: limits.maxRounds,
      deadline: started + limits.deadlineMs
    })
    const notices = [...new Set(reader.notices)]
    const untracedLoops = [...view.stats].filter(([, e]) => e?.loop).map(([p]) => p)
    if (!complete) notices.push(`The examination stopped after ${rounds} rounds of reads; its findings may be incomplete.`)
    return {
      ...analysis,
      config,
      notices,
      untracedLoops,
      stats: {
        requests: reader.requests,
        bytesStreamed: reader.bytesStreamed,
        bytesKept: reader.bytesKept,
        bytesRead: view.bytesRead,
        rounds,
        durationMs: Date.now() - started
      }
    }
  } finally {
    if (id) await removeContainer(api, id)
    api.close()
  }
}
