/**
 * A proxy in front of the local registry (127.0.0.1:5000) that misbehaves on purpose: it refuses the PUT of a
 * manifest whose path matches `refuse` (500, as a failing storage backend answers), or holds the PUT of one
 * matching `hold` for `holdMs` before forwarding it. Everything else is forwarded as it is.
 */
import * as http from 'node:http'

export interface ProxyOptions {
  refuse?: RegExp
  hold?: RegExp
  holdMs?: number
}

export interface RegistryProxy {
  port: number
  close: () => Promise<void>
  /** How many requests were refused. */
  refused: () => number
  /** How many requests were held. */
  held: () => number
}

export async function registryProxy(options: ProxyOptions): Promise<RegistryProxy> {
  let refused = 0
  let held = 0
  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const upstream = http.request({ host: '127.0.0.1', port: 5000, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  }
  const server = http.createServer((req, res) => {
    if (req.method === 'PUT' && options.refuse?.test(req.url ?? '')) {
      refused++
      req.resume()
      res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'storage backend failed' }] }))
      return
    }
    if (req.method === 'PUT' && options.hold?.test(req.url ?? '')) {
      held++
      req.pause()
      setTimeout(() => forward(req, res), options.holdMs ?? 1000)
      return
    }
    forward(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
    refused: () => refused,
    held: () => held
  }
}
