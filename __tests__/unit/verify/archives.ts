/** Builds `docker save` archives (classic and OCI layout) with tar-stream, for the tests. */
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import * as tar from 'tar-stream'

export interface TarItem {
  name: string
  type?: 'file' | 'directory' | 'symlink' | 'link'
  mode?: number
  content?: Buffer | string
  linkname?: string
}

/** A tar archive of the given items, in order. */
export async function packTar(items: readonly TarItem[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c: unknown) => chunks.push(c as Buffer))
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve)
    pack.on('error', reject)
  })
  for (const item of items) {
    const type = item.type ?? (item.linkname !== undefined ? 'symlink' : item.content !== undefined ? 'file' : 'directory')
    const body = item.content === undefined ? undefined : Buffer.isBuffer(item.content) ? item.content : Buffer.from(item.content)
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: item.name, type, mode: item.mode ?? (type === 'directory' ? 0o755 : 0o644), linkname: item.linkname, size: body?.length ?? 0 },
        body ?? Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve())
      )
    )
  }
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

export interface ImageSpec {
  config: Record<string, unknown>
  layers: TarItem[][]
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** A classic `docker save` archive: `<id>/layer.tar`, `<config>.json`, `manifest.json`. */
export async function classicArchive(spec: ImageSpec, tag = 'test:latest'): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify(spec.config))
  const items: TarItem[] = []
  const layerPaths: string[] = []
  for (const layer of spec.layers) {
    const blob = await packTar(layer)
    const id = sha(blob)
    items.push({ name: `${id}/`, type: 'directory' }, { name: `${id}/VERSION`, content: '1.0' }, { name: `${id}/layer.tar`, content: blob })
    layerPaths.push(`${id}/layer.tar`)
  }
  const configName = `${sha(config)}.json`
  items.push({ name: configName, content: config })
  items.push({ name: 'manifest.json', content: JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: layerPaths }]) })
  items.push({ name: 'repositories', content: JSON.stringify({ test: { latest: 'x' } }) })
  return packTar(items)
}

/** An OCI-layout archive (index.json → manifest → config + gzip layers), as the containerd image store saves it. */
export async function ociArchive(spec: ImageSpec, options: { gzip?: boolean; withManifestJson?: boolean } = {}): Promise<Buffer> {
  const gzip = options.gzip ?? true
  const blobs: TarItem[] = []
  const layerDescs: Array<{ mediaType: string; digest: string; size: number }> = []
  for (const layer of spec.layers) {
    const raw = await packTar(layer)
    const blob = gzip ? gzipSync(raw) : raw
    const digest = `sha256:${sha(blob)}`
    blobs.push({ name: `blobs/sha256/${sha(blob)}`, content: blob })
    layerDescs.push({ mediaType: `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`, digest, size: blob.length })
  }
  const config = Buffer.from(JSON.stringify(spec.config))
  blobs.push({ name: `blobs/sha256/${sha(config)}`, content: config })
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(config)}`, size: config.length },
      layers: layerDescs
    })
  )
  blobs.push({ name: `blobs/sha256/${sha(manifest)}`, content: manifest })
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length }]
  }
  const items: TarItem[] = [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...blobs,
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', content: JSON.stringify(index) }
  ]
  if (options.withManifestJson)
    items.push({
      name: 'manifest.json',
      content: JSON.stringify([
        { Config: `blobs/sha256/${sha(config)}`, RepoTags: ['test:latest'], Layers: layerDescs.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }
      ])
    })
  return packTar(items)
}
