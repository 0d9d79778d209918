/**
 * The few HTTP requests the publish preflight makes to a registry, and how their answers are read.
 * Registry answers are untrusted: each request has a time limit, at most 64 KiB of a body is read,
 * and what is quoted back to the user is shortened. The auth challenge parser is pure.
 */
import * as http from 'node:http'
import * as https from 'node:https'
import type { LookupFunction } from 'node:net'

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
  lookup?: LookupFunction
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

const MAX_BODY = 64 * 1024

/** One request; rejects on network and TLS errors (the error's `code` says which). */
export function send(transport: Transport, url: URL, init: { method: string; headers?: Record<string, string>; body?: string; timeoutMs: number }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: init.method,
      headers: { 'user-agent': 'smokestack', ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
      timeout: init.timeoutMs,
      lookup: transport.lookup
    }
    const tlsOptions: https.RequestOptions =
      transport.scheme === 'https' ? { rejectUnauthorized: transport.verify, ca: transport.ca, cert: transport.cert, key: transport.key, servername: url.hostname.replace(/^\[|\]$/g, '') } : {}
    const client = url.protocol === 'https:' ? https : http
    const req = client.request(url, { ...options, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size))
        size += c.length
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${Math.round(init.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })))
    req.on('error', reject)
    req.end(init.body)
  })
}

/** `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header)
  if (!m) return undefined
  const params: Record<string, string> = {}
  for (const p of m[2].matchAll(/([A-Za-z_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1')
  return { scheme: m[1].toLowerCase(), params }
}

/** Text from a registry, made safe to quote in one line. */
export function quoteAnswer(text: string, max = 200): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line)
}

/** Plain words for a network or TLS error. */
export function describeNetworkError(e: NodeJS.ErrnoException): { kind: 'unreachable' | 'tls' | 'protocol'; text: string } {
  const code = e.code ?? ''
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|ERR_TLS_CERT/.test(code)) return { kind: 'tls', text: `${code}: ${e.message}` }
  if (code === 'EPROTO' || /wrong version number|packet length too long|ssl3_get_record|http_request/i.test(e.message)) return { kind: 'protocol', text: e.message }
  return { kind: 'unreachable', text: code && !e.message.includes(code) ? `${code} (${e.message})` : e.message }
}
