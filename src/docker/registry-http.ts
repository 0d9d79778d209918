/**
 * The registry HTTP API (the OCI distribution protocol), spoken the way the engine speaks it: plain HTTP to a
 * loopback address; for a registry the engine treats as insecure, HTTPS without verification, then HTTP;
 * otherwise HTTPS verified against the system's CAs and those in /etc/docker/certs.d/<host:port>/. Logins are
 * the Docker client's own (credentials.ts), answered to the registry's challenge with a Bearer token or Basic
 * auth. Registry answers are untrusted: every request has a time limit, buffered bodies a size limit, and
 * what is quoted back is shortened.
 */
import * as dns from 'node:dns/promises'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import * as tls from 'node:tls'
import { dockerConfigDir, registryCredentials, type Credentials } from './credentials.js'

export interface Transport {
  scheme: 'http' | 'https'
  /** Verify the server's certificate (against `ca`); false for registries the engine treats as insecure. */
  verify: boolean
  /** Certificates (PEM) trusted for this registry. */
  ca?: string[]
  /** A client certificate and key (PEM), from certs.d. */
  cert?: string
  key?: string
  /** Name resolution (tests); default the system's. */
  lookup?: net.LookupFunction
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** A body: bytes, or a function that opens a stream of `length` bytes (opened again for a retry). */
export type Body = Buffer | string | { open: () => Readable; length: number }

const MAX_BODY = 16 * 1024 * 1024

/** One request; rejects on network and TLS errors (the error's `code` says which). */
export function send(
  transport: Transport,
  url: URL,
  init: { method: string; headers?: Record<string, string>; body?: Body; timeoutMs: number }
): Promise<Answer> {
  const body = init.body
  const length =
    body === undefined
      ? ['PUT', 'POST', 'PATCH'].includes(init.method)
        ? 0
        : undefined
      : typeof body === 'string'
        ? Buffer.byteLength(body)
        : Buffer.isBuffer(body)
          ? body.length
          : body.length
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: init.method,
      headers: { 'user-agent': 'smokestack', ...init.headers, ...(length !== undefined ? { 'content-length': String(length) } : {}) },
      timeout: init.timeoutMs,
      lookup: transport.lookup
    }
    const tlsOptions: https.RequestOptions =
      transport.scheme === 'https'
        ? { rejectUnauthorized: transport.verify, ca: transport.ca, cert: transport.cert, key: transport.key, servername: url.hostname.replace(/^\[|\]$/g, '') }
        : {}
    const client = url.protocol === 'https:' ? https : http
    const req = client.request(url, { ...options, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size))
        size += c.length
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${Math.round(init.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })))
    req.on('error', reject)
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
    else {
      const stream = body.open()
      stream.on('error', (e) => req.destroy(e))
      stream.pipe(req)
    }
  })
}

/** `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header)
  if (!m) return undefined
  const params: Record<string, string> = {}
  for (const p of m[2].matchAll(/([A-Za-z_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
    params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1')
  return { scheme: m[1].toLowerCase(), params }
}

/** Text from a registry, made safe to quote in one line. */
export function quoteAnswer(text: string | Buffer, max = 200): string {
  const line = String(text)
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line)
}

/** A registry's own error from a JSON error body (`403 DENIED: …`), or its status and text. */
export function registryErrorText(answer: Answer): string {
  try {
    const first = (JSON.parse(answer.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }).errors?.[0]
    if (first) return `${answer.status} ${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`.trim()
  } catch {
    // not JSON
  }
  return answer.body.length ? `${answer.status} ${quoteAnswer(answer.body)}` : String(answer.status)
}

/** Plain words for a network or TLS error. */
export function describeNetworkError(e: NodeJS.ErrnoException): { kind: 'unreachable' | 'tls' | 'protocol'; text: string } {
  const code = e.code ?? ''
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|ERR_TLS_CERT/.test(code)) return { kind: 'tls', text: `${code}: ${e.message}` }
  if (code === 'EPROTO' || /wrong version number|packet length too long|ssl3_get_record|http_request/i.test(e.message))
    return { kind: 'protocol', text: e.message }
  return { kind: 'unreachable', text: code && !e.message.includes(code) ? `${code} (${e.message})` : e.message }
}

/** What the engine says about registries (`docker info` RegistryConfig). */
export interface EngineRegistryConfig {
  insecureCidrs: string[]
  /** Registries (host[:port]) the engine was told are insecure. */
  insecureRegistries: string[]
}

export const DEFAULT_REGISTRY_CONFIG: EngineRegistryConfig = { insecureCidrs: ['127.0.0.0/8'], insecureRegistries: [] }

/** `localhost`, 127.0.0.0/8 or ::1, with any port: both the engine and buildx use plain HTTP there. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name)
}

export interface RegistryOptions {
  engine?: EngineRegistryConfig
  /** The Docker client's config directory ($DOCKER_CONFIG or ~/.docker). */
  dockerConfig?: string
  certsDir?: string
  env?: NodeJS.ProcessEnv
  /** Name resolution, for tests; default the system's. */
  lookup?: net.LookupFunction
  /** Longest wait for a small request. */
  timeoutMs?: number
}

/** The engine resolves a name and checks each address against its insecure ranges. */
async function isInsecure(host: string, engine: EngineRegistryConfig, lookup?: net.LookupFunction): Promise<boolean> {
  if (engine.insecureRegistries.includes(host)) return true
  const list = new net.BlockList()
  for (const cidr of engine.insecureCidrs) {
    const [address, bits] = cidr.split('/')
    if (net.isIP(address)) list.addSubnet(address, Number(bits), net.isIPv6(address) ? 'ipv6' : 'ipv4')
  }
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  let addresses: string[] = net.isIP(name) ? [name] : []
  if (addresses.length === 0) {
    addresses = lookup
      ? [await new Promise<string>((resolve) => lookup(name, {}, (_e, a) => resolve(String(a))))]
      : await dns
          .lookup(name, { all: true })
          .then((r) => r.map((x) => x.address))
          .catch(() => [])
  }
  return addresses.some((a) => net.isIP(a) && list.check(a, net.isIPv6(a) ? 'ipv6' : 'ipv4'))
}

function readIf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The CAs a Go client such as the engine trusts: SSL_CERT_FILE / SSL_CERT_DIR or the system bundle. */
function systemRoots(env: NodeJS.ProcessEnv): string[] {
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem']
  const dirs = (env.SSL_CERT_DIR ?? '').split(':').filter(Boolean)
  const fromDirs = dirs.flatMap((d) =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d)
          .filter((f) => /\.(pem|crt)$/.test(f))
          .map((f) => path.join(d, f))
      : []
  )
  return [...tls.rootCertificates, ...[...files, ...fromDirs].map(readIf).filter((t): t is string => t !== undefined)]
}

/** The engine's per-registry TLS files: `*.crt` CAs, a `*.cert` + `*.key` client pair. */
function certsD(host: string, certsDir: string): Pick<Transport, 'ca' | 'cert' | 'key'> & { dir: string } {
  const dir = path.join(certsDir, host)
  const files = fs.existsSync(dir) ? fs.readdirSync(dir) : []
  const ca = files
    .filter((f) => f.endsWith('.crt'))
    .map((f) => readIf(path.join(dir, f)))
    .filter((t): t is string => t !== undefined)
  const certFile = files.find((f) => f.endsWith('.cert') && files.includes(f.replace(/\.cert$/, '.key')))
  return { dir, ca, ...(certFile ? { cert: readIf(path.join(dir, certFile)), key: readIf(path.join(dir, certFile.replace(/\.cert$/, '.key'))) } : {}) }
}

/** The ways to reach a registry host, in the order the engine tries them. */
export async function transportsFor(
  host: string,
  o: Required<Pick<RegistryOptions, 'engine' | 'certsDir' | 'env'>> & Pick<RegistryOptions, 'lookup'>
): Promise<{ transports: Transport[]; certsDir: string }> {
  const d = certsD(host, o.certsDir)
  if (isLoopbackHost(host)) return { transports: [{ scheme: 'http', verify: false, lookup: o.lookup }], certsDir: d.dir }
  const tlsFiles = { ca: [...systemRoots(o.env), ...(d.ca ?? [])], cert: d.cert, key: d.key, lookup: o.lookup }
  if (await isInsecure(host, o.engine, o.lookup)) {
    return {
      transports: [
        { scheme: 'https', verify: false, ...tlsFiles },
        { scheme: 'http', verify: false, lookup: o.lookup }
      ],
      certsDir: d.dir
    }
  }
  return { transports: [{ scheme: 'https', verify: true, ...tlsFiles }], certsDir: d.dir }
}

export class RegistryError extends Error {
  override name = 'RegistryError'
}

/** Where a registry name is served: Docker Hub's API lives on another host than its name. */
export function registryEndpoint(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** A path on the registry (`/v2/…`), or a URL the registry handed out (an upload location). */
  path: string
  headers?: Record<string, string>
  body?: Body
  /** The repository whose rights the request needs, and which (`pull` or `pull,push`). */
  repository: string
  actions: 'pull' | 'pull,push'
  /** Another repository of the registry to pull from too (a cross-repository blob mount). */
  alsoPull?: string
  timeoutMs?: number
}

/**
 * A session with one registry: the transport found by asking `/v2/`, and the authorization for each
 * repository and rights, obtained once from the registry's challenge.
 */
export class RegistryClient {
  readonly endpoint: string
  private readonly options: Required<Pick<RegistryOptions, 'engine' | 'dockerConfig' | 'certsDir' | 'env' | 'timeoutMs'>> & Pick<RegistryOptions, 'lookup'>
  private reached: Promise<{ transport: Transport; answer: Answer; base: URL }> | undefined
  private readonly auth = new Map<string, Promise<{ header?: string; failure?: string }>>()
  private credentials: Promise<Credentials | undefined> | undefined

  constructor(
    /** The registry as references name it: `ghcr.io`, `127.0.0.1:5000`, `docker.io`. */
    readonly domain: string,
    options: RegistryOptions = {}
  ) {
    this.endpoint = registryEndpoint(domain)
    const env = options.env ?? process.env
    this.options = {
      engine: options.engine ?? DEFAULT_REGISTRY_CONFIG,
      dockerConfig: options.dockerConfig ?? dockerConfigDir(env),
      certsDir: options.certsDir ?? '/etc/docker/certs.d',
      env,
      lookup: options.lookup,
      timeoutMs: options.timeoutMs ?? 30_000
    }
  }

  /** The client's login for this registry; rejects when it cannot be read. */
  login(): Promise<Credentials | undefined> {
    this.credentials ??= registryCredentials(this.domain, this.options.dockerConfig)
    return this.credentials
  }

  /** Where the login was looked for, for messages. */
  get configFile(): string {
    return path.join(this.options.dockerConfig, 'config.json')
  }

  /** The first transport that answers `GET /v2/`, with that answer; rejects with the last network error. */
  reach(): Promise<{ transport: Transport; answer: Answer; base: URL }> {
    this.reached ??= (async () => {
      const { transports } = await transportsFor(this.endpoint, this.options)
      let last: NodeJS.ErrnoException | undefined
      for (const transport of transports) {
        const base = new URL(`${transport.scheme}://${this.endpoint}/`)
        try {
          return { transport, answer: await send(transport, new URL('/v2/', base), { method: 'GET', timeoutMs: this.options.timeoutMs }), base }
        } catch (e) {
          last = e as NodeJS.ErrnoException
        }
      }
      throw last ?? new Error('no answer')
    })()
    return this.reached
  }

  /** The directory the engine reads this registry's CAs from. */
  get certsDirOfHost(): string {
    return path.join(this.options.certsDir, this.endpoint)
  }

  /** The Authorization header for `repository` and `actions` (and pulling `alsoPull`), or why there is none. */
  authorize(repository: string, actions: 'pull' | 'pull,push', alsoPull?: string): Promise<{ header?: string; failure?: string }> {
    const key = `${repository}:${actions}${alsoPull ? ` ${alsoPull}:pull` : ''}`
    let got = this.auth.get(key)
    if (!got) {
      got = this.obtain(repository, actions, alsoPull)
      this.auth.set(key, got)
    }
    return got
  }

  private async obtain(repository: string, actions: 'pull' | 'pull,push', alsoPull?: string): Promise<{ header?: string; failure?: string }> {
    const { transport, answer } = await this.reach()
    if (answer.status !== 401) return {}
    const creds = await this.login()
    const challenge = parseChallenge(answer.headers['www-authenticate'] as string | undefined)
    if (challenge?.scheme === 'basic') {
      if (creds?.username === undefined || creds.password === undefined)
        return { failure: `not authorised to ${actions === 'pull' ? 'pull' : 'push'} ${this.loginHint(undefined)}` }
      return { header: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` }
    }
    if (challenge?.scheme !== 'bearer') {
      return {
        failure: `${this.endpoint} asks for a login of a kind docker does not speak (${quoteAnswer(String(answer.headers['www-authenticate'] ?? 'no WWW-Authenticate header'))})`
      }
    }
    const scopes = [`repository:${repository}:${actions}`, ...(alsoPull ? [`repository:${alsoPull}:pull`] : [])]
    return this.bearer(challenge.params, scopes, creds, transport)
  }

  /** How to get a login that works, and which login was used, for a refusal. */
  loginHint(creds: Credentials | undefined): string {
    const who = creds
      ? `with the login${creds.username ? ` of ${creds.username}` : ''} from ${creds.source}`
      : `without a login (none for ${this.domain} in ${this.configFile})`
    return `${who}; log in first (docker login ${this.domain}, or docker/login-action in a workflow) with an account that may push there`
  }

  private async bearer(
    params: Record<string, string>,
    scopes: string[],
    creds: Credentials | undefined,
    registry: Transport
  ): Promise<{ header?: string; failure?: string }> {
    const scope = scopes.join(' ')
    let realm: URL
    try {
      realm = new URL(params.realm ?? '')
    } catch {
      return { failure: `${this.domain} asks for a token but names no valid token service (realm ${quoteAnswer(params.realm ?? '')})` }
    }
    const transport: Transport = realm.protocol === 'http:' ? { scheme: 'http', verify: false, lookup: this.options.lookup } : { ...registry, scheme: 'https' }
    let answer: Answer
    try {
      if (creds?.identityToken) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: creds.identityToken,
          service: params.service ?? '',
          scope,
          client_id: 'smokestack'
        })
        answer = await send(transport, realm, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          timeoutMs: this.options.timeoutMs
        })
      } else {
        const url = new URL(realm)
        if (params.service) url.searchParams.set('service', params.service)
        // Several scopes go as several `scope` parameters.
        for (const one of scopes) url.searchParams.append('scope', one)
        const basic =
          creds?.username !== undefined && creds.password !== undefined
            ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` }
            : undefined
        answer = await send(transport, url, { method: 'GET', headers: basic, timeoutMs: this.options.timeoutMs })
      }
    } catch (e) {
      return { failure: `the token service of ${this.domain} (${realm.host}) is unreachable: ${describeNetworkError(e as NodeJS.ErrnoException).text}` }
    }
    if (answer.status === 401 || answer.status === 403)
      return { failure: `not authorised: the token service of ${this.domain} refused the login ${this.loginHint(creds)}` }
    if (answer.status !== 200) return { failure: `the token service of ${this.domain} answered HTTP ${answer.status} ${quoteAnswer(answer.body)}` }
    try {
      const body = JSON.parse(answer.body.toString('utf8')) as { token?: string; access_token?: string }
      const token = body.token ?? body.access_token
      if (token) return { header: `Bearer ${token}` }
    } catch {
      // fall through
    }
    return { failure: `the token service of ${this.domain} answered without a token: ${quoteAnswer(answer.body)}` }
  }

  /** Sends a request with the authorization its repository and rights need. Network errors reject with a RegistryError. */
  async request(r: RegistryRequest): Promise<Answer> {
    let reached
    try {
      reached = await this.reach()
    } catch (e) {
      throw new RegistryError(`${this.endpoint} is unreachable: ${describeNetworkError(e as NodeJS.ErrnoException).text}`)
    }
    const auth = await this.authorize(r.repository, r.actions, r.alsoPull)
    if (auth.failure) throw new RegistryError(`${this.domain}/${r.repository}: ${auth.failure}`)
    const url = new URL(r.path, reached.base)
    // A location on another host (a storage service) gets no credentials of this registry.
    const headers = { ...(r.headers ?? {}), ...(auth.header && url.host === reached.base.host ? { authorization: auth.header } : {}) }
    try {
      return await send(reached.transport, url, { method: r.method, headers, body: r.body, timeoutMs: r.timeoutMs ?? this.options.timeoutMs })
    } catch (e) {
      throw new RegistryError(`${this.endpoint}: ${r.method} ${url.pathname} failed: ${describeNetworkError(e as NodeJS.ErrnoException).text}`)
    }
  }

  close(): void {
    // Requests use no shared agent: nothing stays open.
  }
}
