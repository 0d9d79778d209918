import { describe, it, expect } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import * as tar from 'tar-stream'
import { describeInstruction, gunzipSize, gzipSize, largestLayers, layerOrigins, savedImage, scanArchive, uncompressedSize } from '../../../src/size/measure.js'

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

describe('scanArchive and savedImage', () => {
  it('counts uncompressed layers gzip-compressed, compressed layers as stored, and the config, following links', async () => {
    const plainLayer = await layerTar(1)
    const plainLayer2 = await layerTar(2)
    const gzippedLayer = gzipSync(await layerTar(3))
    const config = Buffer.from(
      JSON.stringify({
        history: [
          { created_by: 'ADD rootfs.tar / # buildkit' },
          { created_by: 'ENV A=1', empty_layer: true },
          { created_by: 'COPY x / # buildkit' },
          { created_by: 'RUN y' }
        ],
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
    expect(summary.blobs.get('blobs/sha256/l1')).toEqual({
      size: plainLayer.length,
      compressedSize: gzipSync(plainLayer).length,
      compressed: false,
      uncompressedSize: plainLayer.length
    })
    expect(summary.blobs.get('blobs/sha256/l3')).toEqual({
      size: gzippedLayer.length,
      compressedSize: gzippedLayer.length,
      compressed: true,
      uncompressedSize: (await layerTar(3)).length
    })
    expect(summary.links.get('legacy/layer.tar')).toBe('blobs/sha256/l2')

    const image = savedImage(summary, 'app:test')
    const { compressedSize, config: parsed } = image
    expect(compressedSize).toBe(gzipSync(plainLayer).length + gzipSync(plainLayer2).length + gzippedLayer.length + config.length)
    expect(parsed?.history).toHaveLength(4)
    expect(uncompressedSize(image.layers)).toBe(plainLayer.length + plainLayer2.length + (await layerTar(3)).length)
    expect(layerOrigins(parsed?.history, image.layers).map((l) => l.createdBy)).toEqual(['ADD rootfs.tar /', 'COPY x /', 'RUN y'])
    // The incompressible part dominates: the figure is far from both the raw size and zero.
    expect(compressedSize).toBeGreaterThan(900_000)
    expect(compressedSize).toBeLessThan(plainLayer.length + plainLayer2.length + gzippedLayer.length)

    // Without a matching tag, the first image is taken.
    expect(savedImage(summary, 'nope:1').compressedSize).toBe(gzipSync(plainLayer).length + config.length)
  })

  it('names a layer the archive lacks', async () => {
    const archive = await tarOf([
      { name: 'cfg.json', body: Buffer.from('{}') },
      { name: 'manifest.json', body: Buffer.from(JSON.stringify([{ Config: 'cfg.json', Layers: ['missing/layer.tar'] }])) }
    ])
    const summary = await scanArchive(Readable.from([archive]))
    expect(() => savedImage(summary)).toThrow('The saved image lists missing/layer.tar but the archive does not hold it')
  })

  it('rejects an archive that is not a tar', async () => {
    await expect(scanArchive(Readable.from([randomBytes(4096)]))).rejects.toThrow()
  })
})

describe('gzipSize and gunzipSize', () => {
  const data = Buffer.concat([randomBytes(100_000), Buffer.from('abc'.repeat(100_000))])
  it('matches zlib at the default level and at other levels', async () => {
    expect(await gzipSize(trickle(data))).toBe(gzipSync(data).length)
    expect(await gzipSize(trickle(data), 1)).toBe(gzipSync(data, { level: 1 }).length)
  })
  it('counts the bytes a gzip stream holds', async () => {
    expect(await gunzipSize(trickle(gzipSync(data)))).toBe(data.length)
  })
})

describe('layer origins', () => {
  const history = [
    { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { created_by: '/bin/sh -c #(nop)  ENV PATH=/usr/bin', empty_layer: true },
    { created_by: '/bin/sh -c apk add --no-cache curl' },
    { created_by: 'COPY big.bin /data/ # buildkit' },
    { created_by: 'RUN /bin/sh -c mkdir /data # buildkit' },
    { created_by: 'CMD ["/app"]', empty_layer: true }
  ]
  const layers = [
    { compressedSize: 2_800_000, uncompressedSize: 5_600_000 },
    { compressedSize: 1_000_000, uncompressedSize: 2_400_000 },
    { compressedSize: 5_243_000, uncompressedSize: 5_242_880 },
    { compressedSize: 100, uncompressedSize: 1_024 }
  ]

  it('maps the history entries that made a layer to the layers, oldest first', () => {
    expect(layerOrigins(history, layers)).toEqual([
      { size: 5_600_000, createdBy: 'ADD file:abc in /' },
      { size: 2_400_000, createdBy: 'RUN apk add --no-cache curl' },
      { size: 5_242_880, createdBy: 'COPY big.bin /data/' },
      { size: 1_024, createdBy: 'RUN /bin/sh -c mkdir /data' }
    ])
  })
  it('names layers the history does not account for by position, and falls back to the compressed size', () => {
    expect(layerOrigins(history.slice(0, 1), [layers[0], { compressedSize: 7 }])).toEqual([
      { size: 5_600_000, createdBy: 'ADD file:abc in /' },
      { size: 7, createdBy: 'layer 2' }
    ])
  })
  it('picks the largest layers, largest first', () => {
    const origins = layerOrigins(history, layers)
    expect(largestLayers(origins, 2).map((l) => l.createdBy)).toEqual(['ADD file:abc in /', 'COPY big.bin /data/'])
    expect(largestLayers(origins, 10)).toHaveLength(4)
  })
  it('describes instructions as Dockerfile lines', () => {
    expect(describeInstruction('/bin/sh -c #(nop) WORKDIR /app')).toBe('WORKDIR /app')
    expect(describeInstruction('RUN |1 VERSION=2 /bin/sh -c make # buildkit')).toBe('RUN make (1 build argument not shown)')
    // A build argument's value never reaches the report, whatever it holds.
    const token = 'ghp_' + 'a'.repeat(36)
    expect(describeInstruction(`RUN |2 TOKEN=${token} FLAGS=-a -b /bin/sh -c go build # buildkit`)).toBe('RUN go build (2 build arguments not shown)')
    expect(describeInstruction(`RUN |1 TOKEN=${token} ./install.sh`)).toBe('RUN … (1 build argument not shown)')
    expect(describeInstruction(`RUN |1 TOKEN=${token} /bin/sh -c echo /bin/sh -c`)).not.toContain(token)
    expect(describeInstruction('/bin/sh -c go build ./...')).toBe('RUN go build ./...')
  })
  it('sums uncompressed sizes only when all are known', () => {
    expect(
      uncompressedSize([
        { size: 1, compressedSize: 1, compressed: false, uncompressedSize: 10 },
        { size: 2, compressedSize: 2, compressed: true, uncompressedSize: 5 }
      ])
    ).toBe(15)
    expect(uncompressedSize([{ size: 2, compressedSize: 2, compressed: true }])).toBeUndefined()
  })
})
