/**
 * The provisioned registry that needs a login over TLS (scripts/provision/registry-tls.sh), and
 * Docker client configurations of a test's own for it: logged in, logged in wrongly, not at all.
 * Never the machine's ~/.docker.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const ENV_FILE = '/var/lib/smokestack/registry-tls/env'

export interface TlsRegistry {
  /** `registry.smokestack.test:5443` */
  host: string
  user: string
  password: string
  /** The registry's CA. */
  ca: string
  /** The system's CAs plus the registry's: SSL_CERT_FILE for buildx's own client (imagetools). */
  caBundle: string
}

export function tlsRegistry(): TlsRegistry {
  if (!fs.existsSync(ENV_FILE)) throw new Error(`${ENV_FILE} is missing: run "bash scripts/provision.sh" (it sets up the TLS registry)`)
  const env = Object.fromEntries(
    fs
      .readFileSync(ENV_FILE, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
  )
  return {
    host: env.SMOKESTACK_TLS_REGISTRY,
    user: env.SMOKESTACK_TLS_REGISTRY_USER,
    password: env.SMOKESTACK_TLS_REGISTRY_PASSWORD,
    ca: env.SMOKESTACK_TLS_REGISTRY_CA,
    caBundle: env.SMOKESTACK_TLS_REGISTRY_CA_BUNDLE
  }
}

/** A DOCKER_CONFIG directory: `login` runs `docker login`, `wrong` holds a password that is not it, `none` is empty. */
export function dockerConfig(r: TlsRegistry, kind: 'login' | 'wrong' | 'none'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `docker-config-${kind}-`))
  if (kind === 'login') {
    execFileSync('docker', ['login', '--username', r.user, '--password-stdin', r.host], {
      input: r.password,
      env: { ...process.env, DOCKER_CONFIG: dir },
      stdio: ['pipe', 'pipe', 'pipe']
    })
  } else if (kind === 'wrong') {
    const auth = Buffer.from(`${r.user}:not-the-password`).toString('base64')
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [r.host]: { auth } } }))
  }
  return dir
}

function curl(r: TlsRegistry, pathname: string, extra: string[]): ReturnType<typeof spawnSync> {
  return spawnSync('curl', ['-sS', '--cacert', r.ca, '-u', `${r.user}:${r.password}`, ...extra, `https://${r.host}${pathname}`], { encoding: 'utf8' })
}

export function tlsJson<T>(r: TlsRegistry, pathname: string, accept?: string): T {
  const got = curl(r, pathname, ['-f', ...(accept ? ['-H', `Accept: ${accept}`] : [])])
  if (got.status !== 0) throw new Error(`GET ${pathname}: ${String(got.stderr)}`)
  return JSON.parse(String(got.stdout)) as T
}

export function tlsStatus(r: TlsRegistry, pathname: string): number {
  return Number(curl(r, pathname, ['-o', '/dev/null', '-w', '%{http_code}']).stdout)
}

/** Repositories the registry holds. */
export function catalog(r: TlsRegistry): string[] {
  return tlsJson<{ repositories: string[] }>(r, '/v2/_catalog?n=1000').repositories
}
