/**
 * Before anything is pushed, every destination is checked: reachable, its TLS trusted, and the
 * Docker client's login allowed to push there. Publishing is all or nothing; this check is what
 * makes "nothing" true when one of several registries is down or refuses the login.
 *
 * Push rights are checked the way a push begins, and nothing is left behind: a blob upload is
 * started (POST /v2/<name>/blobs/uploads/) with the credentials `docker push` would use (Bearer
 * token from the registry's challenge, or Basic), then cancelled (DELETE of its location).
 * Transport, as the engine and buildx pick it: plain HTTP for a loopback address (localhost,
 * 127.0.0.0/8, ::1), which both speak HTTP to; HTTPS without verification, then HTTP, for a
 * registry the engine lists as insecure; otherwise HTTPS verified against the system's CAs and
 * those in /etc/docker/certs.d/<host:port>/. Docker Hub names go to registry-1.docker.io: a
 * registry mirror serves pulls only.
 */
import * as dns from 'node:dns/promises'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import * as tls from 'node:tls'
import * as core from '@actions/core'
import { docker } from '../docker/exec.js'
import { registryOf } from '../docker/registry.js'
import { dockerConfigDir, registryCredentials, type Credentials } from './credentials.js'
import { describeNetworkError, parseChallenge, quoteAnswer, send, type Answer, type Transport } from './registry-http.js'

/** What the engine says about registries (`docker info` RegistryConfig). */
export interface EngineRegistryConfig {
  insecureCidrs: string[]
  /** Registries (host[:port]) the engine was told are insecure. */
  insecureRegistries: string[]
}

export interface PreflightOptions {
  engine?: EngineRegistryConfig
  dockerConfig?: string
  certsDir?: string
  env?: NodeJS.ProcessEnv
  /** Name resolution, for tests; default the system's. */
  lookup?: net.LookupFunction
  timeoutMs?: number
}

interface Context {
  engine: EngineRegistryConfig
  dockerConfig: string
  certsDir: string
  env: NodeJS.ProcessEnv
  lookup?: net.LookupFunction
  timeoutMs: number
}

async function engineRegistryConfig(): Promise<EngineRegistryConfig> {
  const fallback = { insecureCidrs: ['127.0.0.0/8'], insecureRegistries: [] }
  const info = await docker(['info', '--format', '{{json .RegistryConfig}}'], { allowFailure: true, timeoutMs: 30_000 })
  if (info.exitCode !== 0) return fallback
  try {
    const c = JSON.parse(info.stdout) as { InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, { Secure?: boolean }> }
    return {
      insecureCidrs: c.InsecureRegistryCIDRs ?? fallback.insecureCidrs,
      insecureRegistries: Object.entries(c.IndexConfigs ?? {})
        .filter(([, v]) => v.Secure === false)
        .map(([k]) => k)
    }
  } catch {
    return fallback
  }
}

/** `localhost`, 127.0.0.0/8 or ::1, with any port: both the engine and buildx use plain HTTP there. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name)
}

async function isInsecure(host: string, c: Context): Promise<boolean> {
  if (c.engine.insecureRegistries.includes(host)) return true
  const list = new net.BlockList()
  for (const cidr of c.engine.insecureCidrs) {
    const [address, bits] = cidr.split('/')
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4'
    if (net.isIP(address)) list.addSubnet(address, Number(bits), type)
  }
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  let addresses: string[] = net.isIP(name) ? [name] : []
  if (addresses.length === 0) {
    // The engine resolves the name and checks each address against its insecure ranges.
    addresses = c.lookup ? [await new Promise<string>((resolve) => c.lookup!(name, {}, (_e, a) => resolve(String(a))))] : await dns.lookup(name, { all: true }).then((r) => r.map((x) => x.address)).catch(() => [])
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
  const fromDirs = dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => /\.(pem|crt)$/.test(f)).map((f) => path.join(d, f)) : []))
  return [...tls.rootCertificates, ...[...files, ...fromDirs].map(readIf).filter((t): t is string => t !== undefined)]
}

/** The engine's per-registry TLS files: `*.crt` CAs, a `*.cert` + `*.key` client pair. */
function certsD(host: string, c: Context): Pick<Transport, 'ca' | 'cert' | 'key'> & { dir: string; cas: number } {
  const dir = path.join(c.certsDir, host)
  const files = fs.existsSync(dir) ? fs.readdirSync(dir) : []
  const cas = files.filter((f) => f.endsWith('.crt')).map((f) => readIf(path.join(dir, f))).filter((t): t is string => t !== undefined)
  const certFile = files.find((f) => f.endsWith('.cert') && files.includes(f.replace(/\.cert$/, '.key')))
  return { dir, cas: cas.length, ca: cas, ...(certFile ? { cert: readIf(path.join(dir, certFile)), key: readIf(path.join(dir, certFile.replace(/\.cert$/, '.key'))) } : {}) }
}

async function transportsFor(host: string, c: Context): Promise<{ transports: Transport[]; insecure: boolean; certsDir: string }> {
  const d = certsD(host, c)
  if (isLoopbackHost(host)) return { transports: [{ scheme: 'http', verify: false, lookup: c.lookup }], insecure: true, certsDir: d.dir }
  const tlsFiles = { ca: [...systemRoots(c.env), ...(d.ca ?? [])], cert: d.cert, key: d.key, lookup: c.lookup }
  if (await isInsecure(host, c)) {
    return { transports: [{ scheme: 'https', verify: false, ...tlsFiles }, { scheme: 'http', verify: false, lookup: c.lookup }], insecure: true, certsDir: d.dir }
  }
  return { transports: [{ scheme: 'https', verify: true, ...tlsFiles }], insecure: false, certsDir: d.dir }
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64')
}

function loginHint(domain: string, creds: Credentials | undefined, c: Context): string {
  const who = creds ? `with the login${creds.username ? ` of ${creds.username}` : ''} from ${creds.source}` : `without a login (none for ${domain} in ${path.join(c.dockerConfig, 'config.json')})`
  return `${who}; log in first (docker login ${domain}, or docker/login-action in a workflow) with an account that may push there`
}

/** A Bearer token for push and pull of `repo`, or the reason there is none. */
async function bearerToken(params: Record<string, string>, repo: string, creds: Credentials | undefined, registry: Transport, domain: string, c: Context): Promise<{ token?: string; failure?: string }> {
  let realm: URL
  try {
    realm = new URL(params.realm ?? '')
  } catch {
    return { failure: `${domain} asks for a token but names no valid token service (realm ${quoteAnswer(params.realm ?? '')})` }
  }
  const scope = `repository:${repo}:pull,push`
  const transport: Transport = realm.protocol === 'http:' ? { scheme: 'http', verify: false, lookup: c.lookup } : { ...registry, scheme: 'https' }
  let answer: Answer
  try {
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: params.service ?? '', scope, client_id: 'smokestack' })
      answer = await send(transport, realm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), timeoutMs: c.timeoutMs })
    } else {
      const url = new URL(realm)
      if (params.service) url.searchParams.set('service', params.service)
      url.searchParams.set('scope', scope)
      const auth = creds?.username !== undefined && creds.password !== undefined ? { authorization: `Basic ${base64(`${creds.username}:${creds.password}`)}` } : undefined
      answer = await send(transport, url, { method: 'GET', headers: auth, timeoutMs: c.timeoutMs })
    }
  } catch (e) {
    return { failure: `the token service of ${domain} (${realm.host}) is unreachable: ${describeNetworkError(e as NodeJS.ErrnoException).text}` }
  }
  if (answer.status === 401 || answer.status === 403) return { failure: `not authorised: the token service of ${domain} refused the login ${loginHint(domain, creds, c)}` }
  if (answer.status !== 200) return { failure: `the token service of ${domain} answered HTTP ${answer.status} ${quoteAnswer(answer.body)}` }
  try {
    const body = JSON.parse(answer.body) as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    if (token) return { token }
  } catch {
    // fall through
  }
  return { failure: `the token service of ${domain} answered without a token: ${quoteAnswer(answer.body)}` }
}

/** Why `ref`'s repository cannot be pushed to, or undefined when it can. */
async function checkDestination(ref: string, c: Context): Promise<string | undefined> {
  const { domain, path: repo, apiHost } = registryOf(ref)
  const where = `${domain}/${repo}`
  const { transports, insecure, certsDir } = await transportsFor(apiHost, c)
  let ping: Answer | undefined
  let transport = transports[0]
  let lastError: NodeJS.ErrnoException | undefined
  for (const t of transports) {
    try {
      ping = await send(t, new URL(`${t.scheme}://${apiHost}/v2/`), { method: 'GET', timeoutMs: c.timeoutMs })
      transport = t
      break
    } catch (e) {
      lastError = e as NodeJS.ErrnoException
    }
  }
  if (!ping) {
    const err = describeNetworkError(lastError ?? new Error('no answer'))
    if (err.kind === 'tls') {
      return `${where}: TLS: the certificate of ${apiHost} is not trusted (${err.text}); the engine trusts the system's CAs and those in ${certsDir}/ (ca.crt): add the registry's CA there`
    }
    return `${where}: ${apiHost} is unreachable: ${err.text}`
  }
  core.debug(`preflight ${where}: GET ${transport.scheme}://${apiHost}/v2/ → ${ping.status}`)
  if (ping.status === 400 && /HTTP request to an HTTPS server/i.test(ping.body)) {
    return `${where}: ${apiHost} answers only HTTPS, but the engine and buildx speak plain HTTP to a loopback address; reach the registry under a host name instead (one that resolves to it)`
  }
  if (ping.status !== 200 && ping.status !== 401) return `${where}: ${transport.scheme}://${apiHost}/v2/ answered HTTP ${ping.status}, not a registry API answer ${quoteAnswer(ping.body)}`
  let creds: Credentials | undefined
  try {
    creds = await registryCredentials(domain, c.dockerConfig)
  } catch (e) {
    return `${where}: the login for ${domain} cannot be read: ${(e as Error).message}`
  }
  const headers: Record<string, string> = {}
  if (ping.status === 401) {
    const challenge = parseChallenge(ping.headers['www-authenticate'] as string | undefined)
    if (challenge?.scheme === 'bearer') {
      const got = await bearerToken(challenge.params, repo, creds, transport, domain, c)
      if (!got.token) return `${where}: ${got.failure}`
      headers.authorization = `Bearer ${got.token}`
    } else if (challenge?.scheme === 'basic') {
      if (creds?.username === undefined || creds.password === undefined) return `${where}: not authorised to push ${loginHint(domain, undefined, c)}`
      headers.authorization = `Basic ${base64(`${creds.username}:${creds.password}`)}`
    } else {
      return `${where}: ${apiHost} asks for a login of a kind docker does not speak (${quoteAnswer(String(ping.headers['www-authenticate'] ?? 'no WWW-Authenticate header'))})`
    }
  }
  const uploads = new URL(`${transport.scheme}://${apiHost}/v2/${repo}/blobs/uploads/`)
  let start: Answer
  try {
    start = await send(transport, uploads, { method: 'POST', headers, timeoutMs: c.timeoutMs })
  } catch (e) {
    return `${where}: ${apiHost} is unreachable: ${describeNetworkError(e as NodeJS.ErrnoException).text}`
  }
  if (start.status === 401 || start.status === 403) return `${where}: not authorised to push ${loginHint(domain, creds, c)}`
  if (start.status !== 202) return `${where}: ${apiHost} refused to start an upload: HTTP ${start.status} ${quoteAnswer(start.body)}`
  const location = start.headers.location
  if (location) {
    // Cancel the upload: nothing is left behind. A registry that cannot cancel expires it on its own.
    const cancel = await send(transport, new URL(location, uploads), { method: 'DELETE', headers, timeoutMs: c.timeoutMs }).catch(() => undefined)
    core.debug(`preflight ${where}: upload started${insecure ? ' (insecure registry)' : ''}, cancelled → ${cancel?.status ?? 'no answer'}`)
  }
  return undefined
}

/**
 * Resolves when every distinct repository of `tags` can be pushed to; otherwise throws one error
 * naming each destination that cannot, and why.
 */
export async function checkDestinations(tags: string[], options: PreflightOptions = {}): Promise<void> {
  const env = options.env ?? process.env
  const c: Context = {
    engine: options.engine ?? (await engineRegistryConfig()),
    dockerConfig: options.dockerConfig ?? dockerConfigDir(env),
    certsDir: options.certsDir ?? '/etc/docker/certs.d',
    env,
    lookup: options.lookup,
    timeoutMs: options.timeoutMs ?? 15_000
  }
  const byRepository = new Map<string, string>()
  for (const tag of tags) {
    const { domain, path: repo } = registryOf(tag)
    if (!byRepository.has(`${domain}/${repo}`)) byRepository.set(`${domain}/${repo}`, tag)
  }
  const failures = (await Promise.all([...byRepository.values()].map((tag) => checkDestination(tag, c)))).filter((f): f is string => f !== undefined)
  if (failures.length > 0) {
    const all = byRepository.size === 1 ? 'its destination' : byRepository.size === 2 ? 'both destinations' : `all ${failures.length} destinations`
    const count = failures.length === byRepository.size ? all : `${failures.length} of ${byRepository.size} destinations`
    throw new Error(`Nothing was pushed: ${count} cannot be pushed to.\n${failures.map((f) => `- ${f}`).join('\n')}`)
  }
}
