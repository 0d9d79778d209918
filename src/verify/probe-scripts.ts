/**
 * The two small programs that probe a container from inside its own network namespace, so that the
 * container keeps `--network none`: one for Node (run by the runner's own Node under `nsenter --net`,
 * nothing needed in the image), one for busybox sh (run in a probe container joined to the
 * namespace). Each tries every probe once and prints one result per probe, `ok DETAIL` or
 * `fail DETAIL`, on its own line; both try 127.0.0.1, then ::1 when refused.
 */
import { safeText } from './output.js'

/**
 * `node -e PROBE_NODE_SCRIPT TIMEOUT_MS KIND PORT PATH [KIND PORT PATH…]` (CommonJS, no dependencies).
 * An HTTP answer passes with a 2xx or 3xx status (redirects are not followed); TCP when connected.
 */
export const PROBE_NODE_SCRIPT = `
'use strict'
const net = require('node:net')
const http = require('node:http')
const timeout = Number(process.argv[1])
const specs = []
for (let i = 2; i + 2 < process.argv.length; i += 3) specs.push({ kind: process.argv[i], port: Number(process.argv[i + 1]), path: process.argv[i + 2] })
function once(host, s) {
  return new Promise((resolve) => {
    let done = false
    let req
    let sock
    const finish = (ok, detail, refused) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (req) req.destroy()
      if (sock) sock.destroy()
      resolve({ ok, detail, refused })
    }
    const timer = setTimeout(() => finish(false, 'no answer within ' + timeout + ' ms', false), timeout)
    const failed = (e) => finish(false, e.code === 'ECONNREFUSED' ? 'connection refused' : String(e.code || e.message).slice(0, 100), e.code === 'ECONNREFUSED' || e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT')
    if (s.kind === 'tcp') {
      sock = net.connect({ host, port: s.port }, () => finish(true, 'connected', false))
      sock.on('error', failed)
    } else {
      req = http.get({ host, port: s.port, path: s.path, headers: { Host: 'localhost:' + s.port, 'User-Agent': 'smokestack-probe', Connection: 'close' } }, (res) => {
        const code = res.statusCode || 0
        finish(code >= 200 && code < 400, 'HTTP ' + code, false)
      })
      req.on('error', (e) => (String(e.code).startsWith('HPE_') ? finish(false, 'not an HTTP answer', false) : failed(e)))
    }
  })
}
async function probe(s) {
  const first = await once('127.0.0.1', s)
  if (first.ok || !first.refused) return first
  const second = await once('::1', s)
  return second.ok ? second : first
}
Promise.all(specs.map(probe)).then((results) => {
  process.stdout.write(results.map((r) => (r.ok ? 'ok ' : 'fail ') + r.detail + '\\n').join(''))
  process.exit(0)
})
`

/**
 * `sh -c PROBE_SH_SCRIPT sh TIMEOUT_S KIND PORT PATH [KIND PORT PATH…]` for busybox (`nc`,
 * `timeout`): an HTTP/1.0 GET whose status line decides, or a connection.
 */
export const PROBE_SH_SCRIPT = `
t=$1; shift
try() {
  if [ "$1" = tcp ]; then
    timeout "$t" nc -w "$t" "$3" "$2" </dev/null >/dev/null 2>/tmp/probe-err && { echo "ok connected"; return 0; }
  else
    status=$(printf 'GET %s HTTP/1.0\\r\\nHost: localhost:%s\\r\\nUser-Agent: smokestack-probe\\r\\nConnection: close\\r\\n\\r\\n' "$4" "$2" | timeout "$t" nc -w "$t" "$3" "$2" 2>/tmp/probe-err | head -n 1 | tr -d '\\r')
    case "$status" in
      HTTP/*' '[23][0-9][0-9]*) code=\${status#* }; echo "ok HTTP \${code%% *}"; return 0 ;;
      HTTP/*) code=\${status#* }; echo "fail HTTP \${code%% *}"; return 0 ;;
    esac
  fi
  e=$(tail -n 1 /tmp/probe-err 2>/dev/null); e=\${e##*: }
  return 1
}
while [ $# -ge 3 ]; do
  if ! try "$1" "$2" 127.0.0.1 "$3"; then
    first=\${e:-no answer}
    case "$first" in
      *[Rr]efused*) try "$1" "$2" ::1 "$3" || echo "fail connection refused" ;;
      *) echo "fail $first" ;;
    esac
  fi
  shift 3
done
`

/** Reads the scripts' output: one result per probe, in order; a missing line is a failure. */
export function parseProbeOutput(stdout: string, count: number): Array<{ ok: boolean; detail: string }> {
  const lines = stdout.split('\n').filter((l) => /^(ok|fail) /.test(l))
  return Array.from({ length: count }, (_, i) => {
    const line = lines[i]
    if (!line) return { ok: false, detail: 'the probe gave no answer' }
    const ok = line.startsWith('ok ')
    const detail = safeText(line.slice(ok ? 3 : 5)).slice(0, 100)
    return { ok, detail }
  })
}
