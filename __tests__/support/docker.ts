/** Small, synchronous Docker look-ups for integration tests and the benchmarks (so: no Jest here). */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

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

/**
 * The config digest of a local image, on either image store: for one platform of a multi-platform image, from
 * the saved archive's OCI index; else from its manifest.json.
 */
export function localConfigDigest(ref: string, platform?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saved-'))
  try {
    execFileSync('sh', ['-c', 'docker save "$1" | tar -x -C "$2"', 'sh', ref, dir], { maxBuffer: 1 << 30 })
    const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as T
    type Doc = { manifests?: { digest: string; platform?: { os: string; architecture: string; variant?: string } }[]; config?: { digest: string } }
    if (platform && fs.existsSync(path.join(dir, 'index.json'))) {
      let doc = read<Doc>('index.json')
      while (doc.manifests) {
        const chosen =
          doc.manifests.length === 1 && !doc.manifests[0].platform
            ? doc.manifests[0]
            : doc.manifests.find((m) => m.platform && [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/') === platform)
        if (!chosen) throw new Error(`${ref} has no ${platform} image`)
        doc = read<Doc>(`blobs/${chosen.digest.replace(':', '/')}`)
      }
      if (doc.config) return doc.config.digest
    }
    const config = read<{ Config: string }[]>('manifest.json')[0].Config
    const hex = /([0-9a-f]{64})/.exec(config)?.[1]
    if (!hex) throw new Error(`no config digest in ${config}`)
    return `sha256:${hex}`
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Whether the registry's catalog lists `repo`, paging through it. */
export function catalogHas(repo: string): boolean {
  let last = ''
  for (let page = 0; page < 1000; page++) {
    const { repositories } = registryJson<{ repositories: string[] }>(`/v2/_catalog?n=1000${last ? `&last=${encodeURIComponent(last)}` : ''}`)
    if (repositories.includes(repo)) return true
    if (repositories.length < 1000) return false
    last = repositories[repositories.length - 1]
  }
  throw new Error('the catalog did not end')
}
