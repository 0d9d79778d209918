/**
 * The Docker client's credentials for a registry, read as `docker push` would find them: the
 * client's config.json ($DOCKER_CONFIG or ~/.docker) — `credHelpers` for the host, else
 * `credsStore`, else `auths` — with helpers asked through `docker-credential-<name> get` on the
 * exec layer. What `docker login` and docker/login-action write is what is read.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { run } from './exec.js'

export interface Credentials {
  username?: string
  password?: string
  /** An OAuth refresh token (`docker login` against a registry that issues one). */
  identityToken?: string
  /** Where they came from, for messages: `config.json`, `docker-credential-pass`. */
  source: string
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>
  credsStore?: string
  credHelpers?: Record<string, string>
}

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')
}

/** The key the client stores a registry's login under: Docker Hub has its historical URL. */
export function credentialKey(domain: string): string {
  return domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain
}

function readConfig(dir: string): ConfigFile {
  const file = path.join(dir, 'config.json')
  if (!fs.existsSync(file)) return {}
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ConfigFile
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); run docker login again`, { cause: e })
  }
}

/** The `auths` entry for a registry, whichever of the forms the client accepts it was written in. */
function authsEntry(config: ConfigFile, domain: string): Credentials | undefined {
  const key = credentialKey(domain)
  const candidates = [key, domain, `https://${domain}`, `http://${domain}`, `https://${domain}/v1/`, `https://${domain}/v2/`]
  const found = candidates.map((k) => config.auths?.[k]).find((e) => e !== undefined)
  if (!found) return undefined
  if (found.identitytoken) return { identityToken: found.identitytoken, username: found.username, source: 'config.json' }
  if (found.auth) {
    const decoded = Buffer.from(found.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: 'config.json' }
  }
  if (found.username && found.password) return { username: found.username, password: found.password, source: 'config.json' }
  return undefined
}

async function fromHelper(helper: string, domain: string): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`
  const got = await run(program, ['get'], { input: credentialKey(domain), allowFailure: true, timeoutMs: 30_000 })
  if (got.exitCode !== 0) {
    if (/credentials not found|no credentials/i.test(got.stdout + got.stderr)) return undefined
    throw new Error(`${program} get failed for ${domain}: ${(got.stderr || got.stdout).trim().split('\n').at(-1) ?? `exit ${got.exitCode}`}`)
  }
  let answer: { Username?: string; Secret?: string }
  try {
    answer = JSON.parse(got.stdout) as { Username?: string; Secret?: string }
  } catch {
    throw new Error(`${program} get answered something that is not JSON for ${domain}`)
  }
  if (!answer.Secret) return undefined
  if (answer.Username === '<token>') return { identityToken: answer.Secret, source: program }
  return { username: answer.Username, password: answer.Secret, source: program }
}

/** The login the client would use for `domain`, or undefined when it has none. */
export async function registryCredentials(domain: string, configDir = dockerConfigDir()): Promise<Credentials | undefined> {
  const config = readConfig(configDir)
  const helper = config.credHelpers?.[credentialKey(domain)] ?? config.credHelpers?.[domain] ?? config.credsStore
  // (as the client does, what the helper lacks is taken from auths)
  return (helper ? await fromHelper(helper, domain) : undefined) ?? authsEntry(config, domain)
}
