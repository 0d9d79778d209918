/**
 * Whether a crashed program's output says it could not reach the network: a name lookup that
 * failed, a network that is unreachable, or a connection refused by an address other than the
 * container's own. With `--network none` (the start check's default) that is what happens to a
 * program that connects out as it starts, so the report says how to give it a network. Pure.
 */
import type { Finding } from '../types.js'
import { codeSpan, lastLine } from './output.js'

export type NetworkFailure = 'name lookup' | 'unreachable network' | 'refused connection'

/** Only the end of the output is read. */
const READ_CHARS = 64 * 1024

const LOOKUP = [
  /getaddrinfo (?:ENOTFOUND|EAI_AGAIN)/i, // Node
  /temporary failure in name resolution/i, // glibc: Python, curl, apt
  /name or service not known/i,
  /no address associated with hostname/i,
  /name does not resolve/i, // musl
  /could not resolve (?:host|proxy)/i, // curl
  /bad address '[^']*'/i, // busybox wget, nc
  /\blookup \S+(?: on \S+)?: (?:no such host|.*(?:connection refused|network is unreachable|i\/o timeout|server misbehaving))/i, // Go
  /nodename nor servname provided/i,
  /UnknownHostException/, // Java
  /NameResolutionError|failed to resolve/i // urllib3, requests
]
const UNREACHABLE = [/network is unreachable/i, /\bENETUNREACH\b/, /network unreachable/i, /no route to host/i, /\bEHOSTUNREACH\b/]
/** Connection refused, with the address it was refused by (the first group). */
const REFUSED = [
  /dial tcp (\[[0-9a-f:.]+\]|[^\s:]+):\d+: connect: connection refused/i, // Go
  /connect ECONNREFUSED (\S+?):\d+/, // Node
  /failed to connect to (\S+) port \d+.*connection refused/i, // curl
  /can't connect to remote host \(([^)]+)\): connection refused/i, // busybox wget, nc
  /connection to (\S+?):\d+ refused/i // libpq, redis-cli and the like
]

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || h === '0.0.0.0' || h === '::' || /^127\./.test(h) || /^::ffff:127\./.test(h)
}

/** What kind of network failure the output shows, and the line that shows it; undefined when none. */
export function networkFailure(output: string): { kind: NetworkFailure; line: string } | undefined {
  const lines = output.slice(-READ_CHARS).split(/\r?\n/)
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!
    if (line.length > 4096) continue
    const kind: NetworkFailure | undefined = LOOKUP.some((re) => re.test(line))
      ? 'name lookup'
      : UNREACHABLE.some((re) => re.test(line))
        ? 'unreachable network'
        : REFUSED.some((re) => {
              const host = re.exec(line)?.[1]
              return host !== undefined && !isLoopback(host)
            })
          ? 'refused connection'
          : undefined
    if (kind) return { kind, line: lastLine(line) ?? '' }
  }
  return undefined
}

/** The hint for a crash whose output shows a network failure while the check ran without a network. */
export function networkHint(output: string, network: string, platform: string): Finding | undefined {
  if (network !== 'none') return undefined
  const failure = networkFailure(output)
  if (!failure) return undefined
  return {
    severity: 'warning',
    code: 'network-disabled',
    message: `The program's output shows a failed ${failure.kind} (${codeSpan(failure.line)}), and the start check runs the container with \`--network none\`: it has no network.`,
    fix: 'If the program must reach the network to start, give the check one with `smoke-network: bridge` (or the name of a network); a program that starts without it (connecting on first use, or retrying) can keep the check isolated.',
    platform
  }
}
