import { describe, it, expect } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import * as tar from 'tar-stream'
import {
  describeInstruction,
  downloadSize,
  gzipSize,
  largestLayers,
  layerOrigins,
  scanArchive,
  type HistoryLine
} from '../../../src/size/measure.js'

type File = { name: string; body?: Buffer; linkname?: string; type?: 'symlink' | 'directory' }

/** A tar archive of `files`, as `tar-stream` writes it. */
async function tarOf(files: File[]): Promise<Buffer> {
  const pack = tar.pack()
  const out: Buffer[] = []
  const done = (async () => {
    for await (const chunk of pack) out.push(chunk as Buffer)
  })()
  for (const f of files) {
    if (f.type === 'symlink') pack.entry({ name: f.name, type: 'symlink', linkname: f.linkname })
    else if (f.type === 'directory') pack.entry({ name: f.name, type: 'directory' })
    else pack.entry({ name: f.name }, f.body!)
  }
  pack.finalize()
  await done
  return Buffer.concat(out)
}

/** A layer with some incompressible and some very compressible content. */
async function layerTar(seed: number): Promise<Buffer> {
  return tarOf([
    { name: 'bin/', type: 'directory' },
    { name: `bin/tool${seed}`, body: randomBytes(300_000 + seed * 1000) },
    { name: 'etc/motd', body: Buffer.from('hello '.repeat(50_000)) }
  ])
}

/** Reads a buffer in small pieces, as a pipe delivers it. */
function trickle(buffer: Buffer, size = 7_919): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size)
    })()
  )
}

describe('scanArchive and downloadSize', () => {
  it('counts uncompressed layers gzip-compressed, compressed layers as stored, and the config, following links', async () => {
    const plainLayer = await layerTar(1)
    const plainLayer2 = await layerTar(2)
    const gzippedLayer = gzipSync(await layerTar(3))
    const config = Buffer.from(
      JSON.stringify({
        history: [{ created_by: 'ADD rootfs.tar / # buildkit' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'COPY x / # buildkit' }, { created_by: 'RUN y' }],
        rootfs: { diff_ids: ['a', 'b', 'c'] }
      })
    )
    const manifest = JSON.stringify([
      { Config: 'blobs/sha256/cfg', RepoTags: ['other:1'], Layers: ['blobs/sha256/l1'] },
      { Config: 'blobs/sha256/cfg', RepoTags: ['app:test'], Layers: ['blobs/sha256/l1', 'legacy/layer.tar', 'blobs/sha256/l3'] }
    ])
    const archive = await tarOf([
      { name: 'blobs/', type: 'directory' },
      { name: 'blobs/sha256/l1', body: plainLayer },
      { name: 'blobs/sha256/l2', body: plainLayer2 },
      { name: 'blobs/sha256/l3', body: gzippedLayer },
      { name: 'blobs/sha256/cfg', body: config },
      { name: 'legacy/layer.tar', type: 'symlink', linkname: '../blobs/sha256/l2' },
      { name: 'manifest.json', body: Buffer.from(manifest) }
    ])

    const summary = await scanArchive(trickle(archive))
    expect(summary.blobs.get('blobs/sha256/l1')).toEqual({ size: plainLayer.length, compressedSize: gzipSync(plainLayer).length, compressed: false })
    expect(summary.blobs.get('blobs/sha256/l3')).toEqual({ size: gzippedLayer.length, compressedSize: gzippedLayer.length, compressed: true })
    expect(summary.links.get('legacy/layer.tar')).toBe('blobs/sha256/l2')

    const { compressedSize, config: parsed } = downloadSize(summary, 'app:test')
    expect(compressedSize).toBe(gzipSync(plainLayer).length + gzipSync(plainLayer2).length + gzippedLayer.length + config.length)
    expect(parsed?.history).toHaveLength(4)
    // The incompressible part dominates: the figure is far from both the raw size and zero.
    expect(compressedSize).toBeGreaterThan(900_000)
    expect(compressedSize).toBeLessThan(plainLayer.length + plainLayer2.length + gzippedLayer.length)

    // Without a matching tag, the first image is taken.
    expect(downloadSize(summary, 'nope:1').compressedSize).toBe(gzipSync(plainLayer).length + config.length)
  })

  it('names a layer the archive lacks', async () => {
    const archive = await tarOf([
      { name: 'cfg.json', body: Buffer.from('{}') },
      { name: 'manifest.json', body: Buffer.from(JSON.stringify([{ Config: 'cfg.json', Layers: ['missing/layer.tar'] }])) }
    ])
    const summary = await scanArchive(Readable.from([archive]))
    expect(() => downloadSize(summary)).toThrow('The saved image lists missing/layer.tar but the archive does not hold it')
  })

  it('rejects an archive that is not a tar', async () => {
    await expect(scanArchive(Readable.from([randomBytes(4096)]))).rejects.toThrow()
  })
})

describe('gzipSize', () => {
  it('matches zlib at the default level and differs at other levels', async () => {
    const data = Buffer.concat([randomBytes(100_000), Buffer.from('abc'.repeat(100_000))])
    expect(await gzipSize(trickle(data))).toBe(gzipSync(data).length)
    expect(await gzipSize(trickle(data), 1)).toBe(gzipSync(data, { level: 1 }).length)
  })
})

describe('layer origins', () => {
  // `docker history` lists newest first.
  const history: HistoryLine[] = [
    { CreatedBy: 'CMD ["/app"]', Size: '0' },
    { CreatedBy: 'RUN /bin/sh -c mkdir /data # buildkit', Size: '0' },
    { CreatedBy: 'COPY big.bin /data/ # buildkit', Size: '5242880' },
    { CreatedBy: '/bin/sh -c apk add --no-cache curl', Size: '2400000' },
    { CreatedBy: '/bin/sh -c #(nop)  ENV PATH=/usr/bin', Size: '0' },
    { CreatedBy: '/bin/sh -c #(nop) ADD file:abc in / ', Size: '5600000' }
  ]
  const configHistory = [
    { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { created_by: '/bin/sh -c #(nop)  ENV PATH=/usr/bin', empty_layer: true },
    { created_by: '/bin/sh -c apk add --no-cache curl' },
    { created_by: 'COPY big.bin /data/ # buildkit' },
    { created_by: 'RUN /bin/sh -c mkdir /data # buildkit' },
    { created_by: 'CMD ["/app"]', empty_layer: true }
  ]

  it('maps the history entries that made a layer to the layers, oldest first, keeping empty-but-real layers', () => {
    expect(layerOrigins(configHistory, history)).toEqual([
      { size: 5_600_000, createdBy: 'ADD file:abc in /' },
      { size: 2_400_000, createdBy: 'RUN apk add --no-cache curl' },
      { size: 5_242_880, createdBy: 'COPY big.bin /data/' },
      { size: 0, createdBy: 'RUN /bin/sh -c mkdir /data' }
    ])
  })
  it('falls back to entries of non-zero size without a matching config', () => {
    expect(layerOrigins(undefined, history).map((l) => l.size)).toEqual([5_600_000, 2_400_000, 5_242_880])
  })
  it('reads human sizes from older clients', () => {
    expect(layerOrigins(undefined, [{ CreatedBy: 'RUN x', Size: '5.6MB' }])).toEqual([{ size: 5_600_000, createdBy: 'RUN x' }])
  })
  it('picks the largest layers, largest first', () => {
    const layers = layerOrigins(configHistory, history)
    expect(largestLayers(layers, 2).map((l) => l.createdBy)).toEqual(['ADD file:abc in /', 'COPY big.bin /data/'])
    expect(largestLayers(layers, 10)).toHaveLength(4)
  })
  it('describes instructions as Dockerfile lines', () => {
    expect(describeInstruction('/bin/sh -c #(nop) WORKDIR /app')).toBe('WORKDIR /app')
    expect(describeInstruction('RUN |1 VERSION=2 /bin/sh -c make # buildkit')).toBe('RUN |1 VERSION=2 /bin/sh -c make')
    expect(describeInstruction('/bin/sh -c go build ./...')).toBe('RUN go build ./...')
  })
})
