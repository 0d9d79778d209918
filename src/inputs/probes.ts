/**
 * The `smoke-probe` forms: `http://:PORT/PATH` (an answer of 2xx or 3xx passes) and `tcp://:PORT`
 * (an accepted connection passes), always against the container itself. Pure.
 */

export interface Probe {
  kind: 'http' | 'tcp'
  port: number
  /** Path and query of an http probe; `/` when none is given. */
  path: string
  /** As the user wrote it. */
  text: string
}

export const PROBE_FORMS =
  'use http://:PORT/PATH (passes on HTTP 2xx or 3xx) or tcp://:PORT (passes when the port accepts a connection), PORT from 1 to 65535; there is no host: the probe reaches the container itself'

/** Path and query characters of a URL (RFC 3986), without `#`. */
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/

/** A probe, or the reason the text is not one. */
export function parseProbe(text: string): Probe | { error: string } {
  const m = /^(http|tcp):\/\/([^/:]*):(\d{1,5})(\/.*)?$/i.exec(text.trim())
  if (!m) {
    if (/^https:/i.test(text)) return { error: 'https is not probed (the check has no certificates to trust); probe the plain HTTP port' }
    return { error: 'not a probe' }
  }
  const [, scheme, host, portText, path] = m
  if (host) return { error: `the host "${host}" is not for a probe to choose: write ${scheme!.toLowerCase()}://:${portText}${path ?? ''}` }
  const port = Number(portText)
  if (port < 1 || port > 65535) return { error: `port ${portText} is out of range` }
  const kind = scheme!.toLowerCase() as Probe['kind']
  if (kind === 'tcp' && path && path !== '/') return { error: 'a tcp probe has no path' }
  if (kind === 'http' && path !== undefined && (path.length > 2048 || !PATH.test(path)))
    return { error: 'the path holds characters a URL path cannot (spaces, quotes, control characters, `#`)' }
  return { kind, port, path: kind === 'http' ? (path ?? '/') : '', text: text.trim() }
}
