/**
 * A small client of the registry HTTP API (the OCI distribution protocol), with the Docker client's own trust
 * and credentials: HTTPS trusting the CAs docker trusts for that registry (`/etc/docker/certs.d/<host>/`),
 * plain HTTP only where the engine allows an insecure registry (loopback by default), basic auth or the bearer
 * token flow of the registry's challenge, with the credentials `docker login` stored. Bounded: every request
 * has a timeout, and buffered answers a size limit.
 */
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import * as path from 'node:path'
import * as tls from 'node:tls'
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { credentialsFor, type Credentials } from './credentials.js'

export interface RegistryResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** A path on the registry (`/v2/…`), or an absolute URL the registry handed out (an upload location). */
  path: string
  headers?: Record<string, string>
  /** The body: bytes, or a function opening a stream of `contentLength` bytes (opened again for a retry). */
  body?: Buffer | { open: () => Readable; contentLength: number }
  /** `repository:<name>:pull` or `repository:<name>:pull,push`: what a token is asked for. */
  scope: string
  timeoutMs?: number
}

export class RegistryError extends Error {
  override name = 'RegistryError'
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
  }
}

const MAX_BODY = 16 * 1024 * 1024
const DEFAULT_TIMEOUT_MS = 60_000
const CERTS_DIR = '/etc/docker/certs.d'

/** Where a registry name is served: Docker Hub's API lives on another host than its name. */
export function registryEndpoint(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host
}

/** Loopback registries are allowed over plain HTTP by the engine unless told otherwise; so are the ones it lists. */
export function isInsecureHost(host: string, insecureRegistries: readonly string[] = []): boolean {
  const name = host.toLowerCase().replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  if (name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name)) return true
  return insecureRegistries.some((entry) => entry === host || entry === name || cidrContains(entry, name))
}

function cidrContains(cidr: string, ip: string): boolean {
  const net = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr)
  const addr = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip)
  if (!net || !addr || Number(net[5]) > 32) return false
  const value = (parts: string[]): number => parts.reduce((n, p) => n * 256 + Number(p), 0)
  const block = 2 ** (32 - Number(net[5]))
  return Math.floor(value(addr.slice(1, 5)) / block) === Math.floor(value(net.slice(1, 5)) / block)
}

/** The CAs (and client certificate) docker uses for a registry host, from its certs.d directory. */
function trustFor(host: string, certsDir: string): { ca?: string[]; cert?: Buffer; key?: Buffer } {
  const dir = path.join(certsDir, host)
  let files: string[]
  try {
    files = fs.readdirSync(dir)
  } catch {
    return {}
  }
  const ca = files.filter((f) => f.endsWith('.crt')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
  const cert = files.find((f) => f.endsWith('.cert'))
  const key = cert ? files.find((f) => f === cert.replace(/\.cert$/, '.key')) : undefined
  return {
    ca: ca.length ? [...tls.rootCertificates, ...ca] : undefined,
    cert: cert && key ? fs.readFileSync(path.join(dir, cert)) : undefined,
    key: cert && key ? fs.readFileSync(path.join(dir, key)) : undefined
  }
}

/** A `WWW-Authenticate` challenge: its scheme and parameters. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined
  const m = /^\s*(\w+)\s*(.*)$/.exec(header)
  if (!m) return undefined
  const params: Record<string, string> = {}
  for (const p of m[2].matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[p[1].toLowerCase()] = p[2] ?? p[3] ?? ''
  return { scheme: m[1].toLowerCase(), params }
}

export interface ClientOptions {
  /** Registries the engine treats as insecure (`docker info` RegistryConfig), besides loopback. */
  insecureRegistries?: readonly string[]
  env?: Readonly<Record<string, string | undefined>>
  certsDir?: string
}

export class RegistryClient {
  readonly endpoint: string
  private scheme: 'https' | 'http' | undefined
  private readonly tokens = new Map<string, string>()
  private basic: string | undefined
  private credentials: Promise<Credentials | undefined> | undefined
  private readonly agent: https.Agent
  private readonly plainAgent = new http.Agent({ keepAlive: true, maxSockets: 8 })

  constructor(
    /** The registry as references name it: `ghcr.io`, `127.0.0.1:5000`, `docker.io`. */
    readonly host: string,
    private readonly options: ClientOptions = {}
  ) {
    this.endpoint = registryEndpoint(host)
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 8, ...trustFor(this.endpoint, options.certsDir ?? CERTS_DIR) })
  }

  close(): void {
    this.agent.destroy()
    this.plainAgent.destroy()
  }

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= credentialsFor(this.host, this.options.env)
    return this.credentials
  }

  /** HTTPS, or plain HTTP where the engine allows it and the registry speaks no TLS. */
  private async pickScheme(): Promise<'https' | 'http'> {
    if (this.scheme) return this.scheme
    if (!isInsecureHost(this.host, this.options.insecureRegistries)) return (this.scheme = 'https')
    try {
      await this.send('https', { method: 'GET', path: '/v2/', scope: '', timeoutMs: 10_000 }, undefined)
      this.scheme = 'https'
    } catch {
      this.scheme = 'http'
    }
    return this.scheme
  }

  /** One HTTP exchange, no retry. Network and TLS failures reject with a RegistryError naming the host. */
  private send(scheme: 'https' | 'http', r: RegistryRequest, authorization: string | undefined): Promise<RegistryResponse> {
    const url = /^https?:\/\//.test(r.path) ? new URL(r.path) : new URL(`${scheme}://${this.endpoint}${r.path}`)
    const sameHost = url.host === this.endpoint
    const headers: Record<string, string | number> = { ...(r.headers ?? {}) }
    if (authorization && sameHost) headers.Authorization = authorization
    const body = r.body
    if (Buffer.isBuffer(body)) headers['Content-Length'] = body.length
    else if (body) headers['Content-Length'] = body.contentLength
    else if (r.method === 'PUT' || r.method === 'POST' || r.method === 'PATCH') headers['Content-Length'] = 0
    const lib = url.protocol === 'https:' ? https : http
    const agent = url.protocol === 'https:' ? this.agent : this.plainAgent
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method: r.method, headers, agent, timeout: r.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size <= MAX_BODY) chunks.push(c)
          else res.destroy(new RegistryError(`${this.host} answered ${r.method} ${url.pathname} with more than ${MAX_BODY} bytes`))
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new RegistryError(`${this.host} did not answer ${r.method} ${url.pathname} within ${((r.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(0)} s`)))
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof RegistryError ? err : new RegistryError(`${this.host} is not reachable (${url.protocol}//${url.host}): ${describeNetworkError(err)}`)))
      if (Buffer.isBuffer(body)) req.end(body)
      else if (body) {
        const stream = body.open()
        stream.on('error', (err) => req.destroy(err))
        stream.pipe(req)
      } else req.end()
    })
  }

  /** Answers a 401: a bearer token for the scope, or basic auth; false when there is nothing to answer with. */
  private async authenticate(challenge: string | undefined, scope: string): Promise<boolean> {
    const parsed = parseChallenge(challenge)
    const creds = await this.creds()
    if (parsed?.scheme === 'basic') {
      if (!creds?.username || creds.password === undefined) return false
      this.basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      return true
    }
    if (parsed?.scheme !== 'bearer' || !parsed.params.realm) return false
    const realm = new URL(parsed.params.realm)
    if (parsed.params.service) realm.searchParams.set('service', parsed.params.service)
    const wanted = scope || parsed.params.scope
    // Several scopes (a cross-repository mount) go as several `scope` parameters.
    for (const one of (wanted ?? '').split(' ').filter(Boolean)) realm.searchParams.append('scope', one)
    const headers: Record<string, string> = {}
    let method: 'GET' | 'POST' = 'GET'
    let body: Buffer | undefined
    if (creds?.identityToken) {
      method = 'POST'
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
      body = Buffer.from(new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: parsed.params.service ?? '', scope: wanted ?? '', client_id: 'smokestack' }).toString())
    } else if (creds?.username && creds.password !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
    }
    const res = await this.send(realm.protocol === 'http:' ? 'http' : 'https', { method, path: realm.toString(), headers, body, scope: '' }, undefined)
    if (res.status === 401 || res.status === 403) return false
    if (res.status !== 200) throw new RegistryError(`the token service of ${this.host} answered ${res.status}`, res.status)
    const answer = JSON.parse(res.body.toString('utf8')) as { token?: string; access_token?: string }
    const token = answer.token ?? answer.access_token
    if (!token) return false
    this.tokens.set(scope, `Bearer ${token}`)
    return true
  }

  /** Sends a request, answering one authentication challenge. */
  async request(r: RegistryRequest): Promise<RegistryResponse> {
    const scheme = await this.pickScheme()
    const first = await this.send(scheme, r, this.tokens.get(r.scope) ?? this.basic)
    if (first.status !== 401) return first
    if (!(await this.authenticate(first.headers['www-authenticate'], r.scope))) return first
    return this.send(scheme, r, this.tokens.get(r.scope) ?? this.basic)
  }
}

function describeNetworkError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused'
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'the name does not resolve'
  if (err.code === 'ETIMEDOUT') return 'the connection timed out'
  if (err.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(err.code)) return `its TLS certificate is not trusted (${err.code}); put the CA in /etc/docker/certs.d/<host>/ca.crt`
  return err.message
}

/** A registry's own error message from a JSON error body, or the status. */
export function registryErrorText(res: RegistryResponse): string {
  try {
    const doc = JSON.parse(res.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }
    const first = doc.errors?.[0]
    if (first) return `${res.status} ${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`.trim()
  } catch {
    // not JSON
  }
  return `${res.status}`
}
