/**
 * A local GitHub Actions cache service for tests: the v1 REST API (`_apis/artifactcache/…`), the v2
 * Twirp API (`twirp/github.actions.results.api.v1.CacheService/…`) and the slice of the Azure Blob REST
 * API the v2 client uploads through (Put Blob, Put Block, Put Block List, ranged GET), all on one
 * in-process server on 127.0.0.1, with blobs kept in a temporary directory.
 *
 * Fault modes: `down` (nothing listens on the port), `error500` (every call answers 500), `hang`
 * (requests are accepted and never answered).
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import * as path from 'node:path'

export type FaultMode = 'none' | 'down' | 'error500' | 'hang'

export interface CacheEntry {
  id: number
  key: string
  version: string
  /** Set on commit / finalize; uncommitted entries are invisible to lookups. */
  size?: number
  committed: boolean
  /** Order of creation; lookups prefer the newest. */
  created: number
  file: string
  /** Secret part of the signed URLs handed out for this entry. */
  signature: string
}

export interface RequestRecord {
  method: string
  path: string
  status: number
}

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/'
const V1_PREFIX = '/_apis/artifactcache/'
const BLOB_PREFIX = '/devstoreaccount1/actions-cache/'

export class CacheServer {
  readonly token = `test-token-${randomBytes(6).toString('hex')}`
  readonly requests: RequestRecord[] = []
  private readonly entries = new Map<number, CacheEntry>()
  private readonly hanging = new Set<ServerResponse>()
  private nextId = 1
  private fault: FaultMode = 'none'
  private listening = false

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly dir: string
  ) {}

  /** Starts a server on a random port of 127.0.0.1. */
  static async start(): Promise<CacheServer> {
    const dir = await mkdtemp(path.join(tmpdir(), 'cache-server-'))
    const server = createServer()
    server.keepAliveTimeout = 1000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const instance = new CacheServer(server, (server.address() as AddressInfo).port, dir)
    instance.listening = true
    server.on('request', (req, res) => void instance.handle(req, res))
    return instance
  }

  /** Base URL with a trailing slash, as the runner hands it out. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/`
  }

  /** The environment `@actions/cache` reads to talk to this server with the given protocol. */
  env(version: 'v1' | 'v2'): Record<string, string | undefined> {
    return version === 'v1'
      ? { ACTIONS_RUNTIME_TOKEN: this.token, ACTIONS_CACHE_URL: this.url, ACTIONS_RESULTS_URL: undefined, ACTIONS_CACHE_SERVICE_V2: undefined }
      : { ACTIONS_RUNTIME_TOKEN: this.token, ACTIONS_RESULTS_URL: this.url, ACTIONS_CACHE_URL: undefined, ACTIONS_CACHE_SERVICE_V2: 'true' }
  }

  /** Committed entries, oldest first. */
  committedEntries(): CacheEntry[] {
    return [...this.entries.values()].filter((e) => e.committed).sort((a, b) => a.created - b.created)
  }

  async setFault(mode: FaultMode): Promise<void> {
    if (mode === 'down' && this.listening) {
      this.listening = false
      this.releaseHanging()
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve())
        this.server.closeAllConnections()
      })
    } else if (mode !== 'down' && !this.listening) {
      await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve))
      this.listening = true
    }
    if (mode !== 'hang') this.releaseHanging()
    this.fault = mode
  }

  async stop(): Promise<void> {
    this.releaseHanging()
    if (this.listening) {
      this.listening = false
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve())
        this.server.closeAllConnections()
      })
    }
    await rm(this.dir, { recursive: true, force: true })
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy()
    this.hanging.clear()
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const method = req.method ?? 'GET'
    res.on('finish', () => this.requests.push({ method, path: url.pathname, status: res.statusCode }))
    if (this.fault === 'hang') {
      this.hanging.add(res)
      req.resume()
      return
    }
    try {
      const body = await readBody(req)
      if (this.fault === 'error500') return json(res, 500, { message: 'injected failure' })
      if (url.pathname.startsWith(V1_PREFIX)) return await this.handleV1(req, res, url, body)
      if (url.pathname.startsWith(TWIRP_PREFIX)) return await this.handleTwirp(req, res, url, body)
      if (url.pathname.startsWith(BLOB_PREFIX)) return await this.handleBlob(req, res, url, body)
      if (url.pathname.startsWith('/download/')) return await this.handleDownload(req, res, url)
      json(res, 404, { message: `no route for ${method} ${url.pathname}` })
    } catch (error) {
      if (!res.headersSent) json(res, 500, { message: error instanceof Error ? error.message : String(error) })
      else res.destroy()
    }
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`
  }

  /** The newest committed entry for the first key that matches: exactly, else by prefix. */
  private lookup(keys: string[], version: string): CacheEntry | undefined {
    const candidates = this.committedEntries()
      .filter((e) => e.version === version)
      .reverse()
    for (const key of keys) {
      const found = candidates.find((e) => e.key === key) ?? candidates.find((e) => e.key.startsWith(key))
      if (found) return found
    }
    return undefined
  }

  private async reserve(key: string, version: string): Promise<CacheEntry | undefined> {
    const taken = [...this.entries.values()].some((e) => e.key === key && e.version === version)
    if (taken) return undefined
    const id = this.nextId++
    const entry: CacheEntry = {
      id,
      key,
      version,
      committed: false,
      created: id,
      file: path.join(this.dir, `entry-${id}`),
      signature: randomBytes(12).toString('hex')
    }
    await writeFile(entry.file, Buffer.alloc(0))
    this.entries.set(id, entry)
    return entry
  }

  // --- v1 REST ---

  private async handleV1(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    if (!this.authorized(req)) return json(res, 401, { message: 'bad token' })
    const resource = url.pathname.slice(V1_PREFIX.length)
    const method = req.method
    if (method === 'GET' && resource === 'cache') {
      const keys = (url.searchParams.get('keys') ?? '').split(',').filter(Boolean)
      const entry = this.lookup(keys, url.searchParams.get('version') ?? '')
      if (!entry) return empty(res, 204)
      return json(res, 200, {
        cacheKey: entry.key,
        scope: 'refs/heads/main',
        cacheVersion: entry.version,
        creationTime: new Date().toISOString(),
        archiveLocation: `${this.url}download/${entry.id}?sig=${entry.signature}`
      })
    }
    if (method === 'GET' && resource === 'caches') {
      const key = url.searchParams.get('key') ?? ''
      const list = this.committedEntries().filter((e) => e.key === key)
      return json(res, 200, {
        totalCount: list.length,
        artifactCaches: list.map((e) => ({ cacheKey: e.key, cacheVersion: e.version, scope: 'refs/heads/main' }))
      })
    }
    if (method === 'POST' && resource === 'caches') {
      const request = JSON.parse(body.toString('utf8')) as { key: string; version: string; cacheSize?: number }
      const entry = await this.reserve(request.key, request.version)
      if (!entry) return json(res, 409, { message: `Cache already exists. Key: ${request.key}, Version: ${request.version}` })
      return json(res, 201, { cacheId: entry.id })
    }
    const idMatch = /^caches\/(\d+)$/.exec(resource)
    const entry = idMatch ? this.entries.get(Number(idMatch[1])) : undefined
    if (idMatch && !entry) return json(res, 404, { message: 'no such cache' })
    if (entry && method === 'PATCH') {
      if (entry.committed) return json(res, 409, { message: 'cache already committed' })
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(String(req.headers['content-range'] ?? ''))
      if (!range) return json(res, 400, { message: 'Content-Range missing or malformed' })
      const start = Number(range[1])
      if (Number(range[2]) - start + 1 !== body.length) return json(res, 400, { message: 'Content-Range does not match the body' })
      const handle = await open(entry.file, 'r+')
      try {
        await handle.write(body, 0, body.length, start)
      } finally {
        await handle.close()
      }
      return empty(res, 204)
    }
    if (entry && method === 'POST') {
      const { size } = JSON.parse(body.toString('utf8')) as { size: number }
      const actual = (await stat(entry.file)).size
      if (actual !== size) return json(res, 400, { message: `size ${size} does not match the ${actual} bytes uploaded` })
      entry.size = size
      entry.committed = true
      return empty(res, 204)
    }
    json(res, 404, { message: `no route for ${method} ${url.pathname}` })
  }

  // --- v2 Twirp ---

  private async handleTwirp(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    if (!this.authorized(req)) return twirpError(res, 401, 'unauthenticated', 'bad token')
    if (req.method !== 'POST') return twirpError(res, 404, 'bad_route', 'twirp methods are POST')
    const request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
    const key = String(request.key ?? '')
    const version = String(request.version ?? '')
    switch (url.pathname.slice(TWIRP_PREFIX.length)) {
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = (request.restore_keys ?? request.restoreKeys ?? []) as string[]
        const entry = this.lookup([key, ...restoreKeys], version)
        if (!entry) return json(res, 200, { ok: false, signed_download_url: '', matched_key: '' })
        return json(res, 200, { ok: true, signed_download_url: this.blobUrl(entry), matched_key: entry.key })
      }
      case 'CreateCacheEntry': {
        const entry = await this.reserve(key, version)
        if (!entry) return twirpError(res, 409, 'already_exists', 'cache entry with the same key, version, and scope already exists')
        return json(res, 200, { ok: true, signed_upload_url: this.blobUrl(entry) })
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = [...this.entries.values()].find((e) => e.key === key && e.version === version && !e.committed)
        if (!entry) return twirpError(res, 404, 'not_found', 'no cache entry to finalize')
        const size = Number(request.size_bytes ?? request.sizeBytes)
        const actual = (await stat(entry.file)).size
        if (actual !== size) return json(res, 200, { ok: false, entry_id: '0', message: `size ${size} does not match the ${actual} bytes uploaded` })
        entry.size = size
        entry.committed = true
        return json(res, 200, { ok: true, entry_id: String(entry.id) })
      }
      default:
        return twirpError(res, 404, 'bad_route', `no method ${url.pathname}`)
    }
  }

  private blobUrl(entry: CacheEntry): string {
    return `${this.url}${BLOB_PREFIX.slice(1)}${entry.id}?sv=2024-08-04&sr=b&sp=rcw&sig=${entry.signature}`
  }

  // --- Azure Blob (signed URLs) ---

  private async handleBlob(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const entry = this.entries.get(Number(url.pathname.slice(BLOB_PREFIX.length)))
    if (!entry || url.searchParams.get('sig') !== entry.signature) {
      return azureError(res, 403, 'AuthenticationFailed', 'signature does not match')
    }
    const comp = url.searchParams.get('comp')
    if (req.method === 'PUT' && comp === 'block') {
      const blockId = url.searchParams.get('blockid')
      if (!blockId) return azureError(res, 400, 'InvalidQueryParameterValue', 'blockid is required')
      await writeFile(this.blockFile(entry, blockId), body)
      return azureOk(res, 201)
    }
    if (req.method === 'PUT' && comp === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]+)<\/(?:Latest|Uncommitted|Committed)>/g)].map((m) => m[1])
      await writeFile(entry.file, Buffer.alloc(0))
      for (const id of ids) await appendFile(entry.file, await readFile(this.blockFile(entry, id)))
      return azureOk(res, 201)
    }
    if (req.method === 'PUT' && !comp) {
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob') return azureError(res, 400, 'InvalidHeaderValue', 'x-ms-blob-type must be BlockBlob')
      await writeFile(entry.file, body)
      return azureOk(res, 201)
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (!entry.committed) return azureError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
      const range = String(req.headers['x-ms-range'] ?? req.headers.range ?? '')
      return sendFile(req, res, entry.file, range)
    }
    azureError(res, 405, 'UnsupportedHttpVerb', `${req.method} is not supported`)
  }

  private blockFile(entry: CacheEntry, blockId: string): string {
    return path.join(this.dir, `entry-${entry.id}-block-${Buffer.from(blockId).toString('hex')}`)
  }

  private async handleDownload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry = this.entries.get(Number(url.pathname.slice('/download/'.length)))
    if (!entry || !entry.committed || url.searchParams.get('sig') !== entry.signature) return json(res, 404, { message: 'no such archive' })
    return sendFile(req, res, entry.file, String(req.headers.range ?? ''))
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function empty(res: ServerResponse, status: number): void {
  res.writeHead(status)
  res.end()
}

function twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
  json(res, status, { code, msg })
}

function azureHeaders(): Record<string, string> {
  return {
    'x-ms-request-id': randomBytes(8).toString('hex'),
    'x-ms-version': '2024-08-04',
    Date: new Date().toUTCString()
  }
}

function azureOk(res: ServerResponse, status: number): void {
  res.writeHead(status, {
    ...azureHeaders(),
    ETag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
    'Last-Modified': new Date().toUTCString(),
    'x-ms-request-server-encrypted': 'true',
    'Content-Length': 0
  })
  res.end()
}

function azureError(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
  res.writeHead(status, { ...azureHeaders(), 'x-ms-error-code': code, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) })
  res.end(xml)
}

/** Sends a file, or the byte range `bytes=start-[end]` of it. */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, range: string): Promise<void> {
  const info = await stat(file)
  const size = info.size
  let start = 0
  let end = size - 1
  let status = 200
  const match = /^bytes=(\d+)-(\d*)$/.exec(range)
  if (match) {
    start = Number(match[1])
    end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1
    status = 206
    if (start >= size && size > 0) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` })
      res.end()
      return
    }
  }
  const length = Math.max(0, end - start + 1)
  const headers: Record<string, string | number> = {
    ...azureHeaders(),
    'Content-Type': 'application/octet-stream',
    'Content-Length': length,
    'Accept-Ranges': 'bytes',
    'x-ms-blob-type': 'BlockBlob',
    ETag: `"0x${Math.floor(info.mtimeMs).toString(16).toUpperCase()}${size.toString(16).toUpperCase()}"`,
    'Last-Modified': info.mtime.toUTCString()
  }
  if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  res.writeHead(status, headers)
  if (req.method === 'HEAD' || length === 0) {
    res.end()
    return
  }
  createReadStream(file, { start, end }).pipe(res)
}
