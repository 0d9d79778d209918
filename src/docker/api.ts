/**
 * A minimal Docker Engine API client over node:http: the unix socket (`DOCKER_HOST=unix://…` or the
 * default `/var/run/docker.sock`) or plain `tcp://host:port`. Anything it cannot speak safely
 * (ssh://, TLS, a non-default context) is reported as unsupported, and callers use the CLI instead.
 * Responses are size-bounded and every request has a timeout.
 */
import * as http from 'node:http'
import { isCancelled } from './exec.js'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** Where the engine listens. */
export type EngineEndpoint = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number }

export type EndpointResult = { ok: true; endpoint: EngineEndpoint } | { ok: false; unsupported: string }

export const DEFAULT_SOCKET = '/var/run/docker.sock'

/** The engine endpoint the environment names, or why it cannot be used directly. */
export function engineEndpoint(env: NodeJS.ProcessEnv = process.env): EndpointResult {
  const context = env.DOCKER_CONTEXT
  if (context && context !== 'default') return { ok: false, unsupported: `DOCKER_CONTEXT=${context}` }
  if (env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return { ok: false, unsupported: 'TLS (DOCKER_TLS_VERIFY/DOCKER_CERT_PATH)' }
  const host = env.DOCKER_HOST?.trim()
  if (!host) return { ok: true, endpoint: { kind: 'unix', socketPath: DEFAULT_SOCKET } }
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length)
    return socketPath.startsWith('/') ? { ok: true, endpoint: { kind: 'unix', socketPath } } : { ok: false, unsupported: `DOCKER_HOST=${host}` }
  }
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})\/?$/.exec(host)
  if (tcp) {
    const port = Number(tcp[2])
    if (port > 0 && port < 65536) return { ok: true, endpoint: { kind: 'tcp', host: tcp[1]!.replace(/^\[|\]$/g, ''), port } }
  }
  return { ok: false, unsupported: `DOCKER_HOST=${host}` }
}

export class EngineApiError extends Error {
  override name = 'EngineApiError'
  constructor(
    message: string,
    /** HTTP status, when the engine answered. */
    readonly status?: number
  ) {
    super(message)
  }
}

export interface ApiRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE'
  /** Path and query, e.g. `/containers/create?platform=linux%2Farm64`. */
  path: string
  /** JSON body. */
  body?: unknown
  /** Abort the request after this many milliseconds. Default 30 s. */
  timeoutMs?: number
}

export interface ApiResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** An open response whose body is read as a stream; `close()` stops it. */
export interface ApiStream {
  status: number
  headers: IncomingHttpHeaders
  body: IncomingMessage
  close(): void
}

const DEFAULT_TIMEOUT_MS = 30_000
/** Largest buffered response body (JSON answers, error messages). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024

/** Minimal Engine API client; one keep-alive agent per client. */
export class EngineApi {
  private readonly agent: http.Agent
  constructor(
    readonly endpoint: EngineEndpoint,
    options: { maxSockets?: number } = {}
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8 })
  }

  /** A client for the environment's engine, or the reason there is none. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): EngineApi | { unsupported: string } {
    const r = engineEndpoint(env)
    return r.ok ? new EngineApi(r.endpoint) : { unsupported: r.unsupported }
  }

  /** Send a request and open its response as a stream. The caller must read or `close()` it. */
  open(req: ApiRequest): Promise<ApiStream> {
    // Once the run is cancelled nothing new is created; removing what exists still goes ahead.
    if (isCancelled() && req.method !== 'DELETE') throw new EngineApiError(`${req.method} ${req.path}: not sent, the run was cancelled`)
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body))
    const target = this.endpoint.kind === 'unix' ? { socketPath: this.endpoint.socketPath } : { host: this.endpoint.host, port: this.endpoint.port }
    return new Promise<ApiStream>((resolve, reject) => {
      const request = http.request({
        ...target,
        agent: this.agent,
        method: req.method,
        path: req.path,
        headers: { Host: 'docker', ...(body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {}) }
      })
      const timer = setTimeout(
        () => request.destroy(new EngineApiError(`${req.method} ${req.path} timed out after ${req.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)),
        req.timeoutMs ?? DEFAULT_TIMEOUT_MS
      )
      request.on('error', (err) => {
        clearTimeout(timer)
        reject(err instanceof EngineApiError ? err : new EngineApiError(`${req.method} ${req.path}: ${err.message}`))
      })
      request.on('response', (res) => {
        res.on('close', () => clearTimeout(timer))
        res.on('error', () => clearTimeout(timer))
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: res,
          close: () => {
            clearTimeout(timer)
            res.destroy()
            request.destroy()
          }
        })
      })
      request.end(body)
    })
  }

  /** Send a request and buffer its response (at most `maxBytes`, default 8 MiB). */
  async request(req: ApiRequest & { maxBytes?: number }): Promise<ApiResponse> {
    const res = await this.open(req)
    const max = req.maxBytes ?? MAX_BUFFERED_BYTES
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > max) throw new EngineApiError(`${req.method} ${req.path}: the response is larger than ${max} bytes`)
        chunks.push(chunk)
      }
    } catch (err) {
      res.close()
      throw err instanceof EngineApiError ? err : new EngineApiError(`${req.method} ${req.path}: ${(err as Error).message}`)
    }
    return { status: res.status, headers: res.headers, body: Buffer.concat(chunks) }
  }

  /** A JSON answer, or an EngineApiError carrying the engine's message for any status but 2xx. */
  async json<T>(req: ApiRequest & { maxBytes?: number }): Promise<T> {
    const res = await this.request(req)
    if (res.status < 200 || res.status >= 300) throw new EngineApiError(`${req.method} ${req.path.split('?')[0]}: ${errorMessage(res)}`, res.status)
    return (res.body.length > 0 ? JSON.parse(res.body.toString('utf8')) : undefined) as T
  }

  /** The engine's API version (`/_ping`), or undefined when it does not answer. */
  async ping(timeoutMs = 5_000): Promise<string | undefined> {
    try {
      const res = await this.request({ method: 'GET', path: '/_ping', timeoutMs, maxBytes: 1024 })
      const v = res.headers['api-version']
      return res.status === 200 ? (typeof v === 'string' ? v : '') : undefined
    } catch {
      return undefined
    }
  }

  /** Close idle connections. */
  close(): void {
    this.agent.destroy()
  }
}

/** The engine's own message from an error response. */
export function errorMessage(res: ApiResponse): string {
  const text = res.body.toString('utf8').trim()
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    if (typeof parsed.message === 'string') return parsed.message
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500) || `HTTP ${res.status}`
}
