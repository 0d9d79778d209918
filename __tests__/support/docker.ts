/** Small, synchronous Docker look-ups for integration tests. */
import { execFileSync, spawnSync } from 'node:child_process'

export function dockerOut(args: string[], input?: string): string {
  return execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).trim()
}

/** Containers and temporary tags the action makes: counted before and after each run. */
export function leftovers(): { containers: string[]; images: string[] } {
  // Sorted: the engine lists images of the same creation time in no fixed order.
  const containers = dockerOut(['ps', '-a', '--filter', 'label=org.smokestack.role', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort()
  const images = dockerOut(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
    .split('\n')
    .filter((l) => l.startsWith('smokestack-local/'))
    .sort()
  return { containers, images }
}

export const REGISTRY = '127.0.0.1:5000'

export function registryJson<T>(pathname: string, accept?: string): T {
  const args = ['-fsS', ...(accept ? ['-H', `Accept: ${accept}`] : []), `http://${REGISTRY}${pathname}`]
  return JSON.parse(execFileSync('curl', args, { encoding: 'utf8' })) as T
}

export function registryStatus(pathname: string): number {
  const r = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${REGISTRY}${pathname}`], { encoding: 'utf8' })
  return Number(r.stdout)
}

export function imageStore(): 'containerd' | 'classic' {
  return /snapshotter/i.test(dockerOut(['info', '--format', '{{json .DriverStatus}}'])) ? 'containerd' : 'classic'
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
}

/** The config digest of a local image, on either image store (from the saved archive's manifest.json). */
export function localConfigDigest(ref: string): string {
  const manifest = execFileSync('sh', ['-c', 'docker save "$1" | tar -xO manifest.json', 'sh', ref], { encoding: 'utf8', maxBuffer: 1 << 30 })
  const config = (JSON.parse(manifest) as { Config: string }[])[0].Config
  const hex = /([0-9a-f]{64})/.exec(config)?.[1]
  if (!hex) throw new Error(`no config digest in ${config}`)
  return `sha256:${hex}`
}
