/**
 * The Docker client's credentials for a registry, read the way `docker login` stores them: the config file
 * (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), its `auths` entries, and the credential helpers
 * it names (`credHelpers` per registry, `credsStore` for all), asked through `docker-credential-<name> get`.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { run } from './exec.js'

export interface Credentials {
  username?: string
  password?: string
  /** An OAuth refresh token (`docker login` with an identity token), exchanged at the token endpoint. */
  identityToken?: string
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>
  credsStore?: string
  credHelpers?: Record<string, string>
}

/** The host a credential is stored under: Docker Hub's is the old index URL. */
export function credentialKey(host: string): string {
  return host === 'docker.io' || host === 'registry-1.docker.io' || host === 'index.docker.io' ? 'https://index.docker.io/v1/' : host
}

export function configPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json')
}

function readConfig(file: string): ConfigFile {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ConfigFile
  } catch {
    return {}
  }
}

/** The `auths` entry for a host, matched with or without a scheme and a trailing path, as the client does. */
function authsEntry(config: ConfigFile, key: string): Credentials | undefined {
  const bare = (s: string): string => s.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
  const entry = Object.entries(config.auths ?? {}).find(([k]) => k === key || bare(k) === bare(key))?.[1]
  if (!entry) return undefined
  if (entry.identitytoken) return { identityToken: entry.identitytoken }
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password }
  return undefined
}

/** Asks a credential helper; undefined when it has nothing for the host. */
async function fromHelper(helper: string, key: string): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return undefined
  const result = await run(`docker-credential-${helper}`, ['get'], { input: key, allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined)
  if (!result || result.exitCode !== 0) return undefined
  try {
    const { Username, Secret } = JSON.parse(result.stdout) as { Username?: string; Secret?: string }
    if (!Secret) return undefined
    return Username === '<token>' ? { identityToken: Secret } : { username: Username, password: Secret }
  } catch {
    return undefined
  }
}

/** The credentials for `host`, or undefined for anonymous access. */
export async function credentialsFor(host: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Credentials | undefined> {
  const key = credentialKey(host)
  const config = readConfig(configPath(env))
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[host]
  if (helper) return fromHelper(helper, key)
  const stored = authsEntry(config, key)
  if (stored) return stored
  if (config.credsStore) return fromHelper(config.credsStore, key)
  return undefined
}
