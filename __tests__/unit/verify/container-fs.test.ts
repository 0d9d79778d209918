import { describe, expect, it } from '@jest/globals'
import { engineEndpoint } from '../../../src/docker/api.js'
import { analyzeWithPrefetch, BLOCK_SIZE, entryFromGoMode, PrefetchImageFs, type Wants } from '../../../src/verify/container-fs.js'
import { analyzeStart } from '../../../src/verify/linkage.js'
import { createMemoryImageFs, type ImageFs, type MemoryEntry } from '../../../src/verify/rootfs.js'
import { useSampleBinaries } from './toolchains.js'

const bin = useSampleBinaries('container-fs-test-')

describe('engineEndpoint', () => {
  it('uses the default socket, unix:// and tcp://, and refuses what it cannot speak', () => {
    expect(engineEndpoint({})).toEqual({ ok: true, endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' } })
    expect(engineEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      ok: true,
      endpoint: { kind: 'unix', socketPath: '/run/user/1000/docker.sock' }
    })
    expect(engineEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual({ ok: true, endpoint: { kind: 'tcp', host: '127.0.0.1', port: 2375 } })
    expect(engineEndpoint({ DOCKER_HOST: 'ssh://me@host' }).ok).toBe(false)
    expect(engineEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1' }).ok).toBe(false)
    expect(engineEndpoint({ DOCKER_CONTEXT: 'remote' }).ok).toBe(false)
    expect(engineEndpoint({ DOCKER_CONTEXT: 'default' }).ok).toBe(true)
  })
})

describe('entryFromGoMode', () => {
  it('reads the Go FileMode type and permission bits', () => {
    expect(entryFromGoMode(2 ** 31 + 0o755, 4096)).toEqual({ type: 'dir', mode: 0o755, size: 0, layer: 0 })
    expect(entryFromGoMode(2 ** 27 + 0o777, 12, '/bin/busybox')).toEqual({ type: 'symlink', mode: 0o777, size: 0, linkTarget: '/bin/busybox', layer: 0 })
    expect(entryFromGoMode(2 ** 23 + 0o755, 100)).toEqual({ type: 'file', mode: 0o4755, size: 100, layer: 0 })
    expect(entryFromGoMode(2 ** 26 + 2 ** 21 + 0o666, 0).type).toBe('other')
  })
})

/** Answer a view's wants from an in-memory image, counting the rounds. */
function fetcherFor(view: PrefetchImageFs, source: ImageFs): (w: Wants) => Promise<void> {
  return async (w) => {
    for (const p of w.stats) view.stats.set(p, source.lstat(p) ?? null)
    for (const p of w.listings) {
      const names = source.readdir(p)
      view.listings.set(p, names ? { names } : null)
    }
    for (const [p, blocks] of w.blocks) {
      const have = view.blocks.get(p) ?? new Map<number, Buffer>()
      for (const b of blocks) {
        const data = source.readFile(p, BLOCK_SIZE, b * BLOCK_SIZE)
        if (data) have.set(b, Buffer.from(data))
      }
      view.blocks.set(p, have)
    }
  }
}

describe('analyzeWithPrefetch', () => {
  const cases: Array<{ name: string; entrypoint: string[]; layers: MemoryEntry[][] }> = [
    {
      name: 'a glibc binary on a musl image (missing loader, loaders found by name)',
      entrypoint: ['/app/hello'],
      layers: [
        [
          { path: '/lib/ld-musl-x86_64.so.1', content: 'x' },
          { path: '/etc/alpine-release', content: '3.12.2\n', mode: 0o644 }
        ],
        [{ path: '/app/hello', content: '' }]
      ]
    },
    {
      name: 'a symlinked glibc binary whose libm was deleted in a later layer',
      entrypoint: ['app'],
      layers: [
        [
          { path: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', content: '' },
          { path: '/lib64/ld-linux-x86-64.so.2', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
          { path: '/etc/ld.so.conf', content: 'include /etc/ld.so.conf.d/*.conf\n', mode: 0o644 },
          { path: '/etc/ld.so.conf.d/extra.conf', content: '/opt/lib\n', mode: 0o644 },
          { path: '/opt/lib/libm.so.6', content: 'not elf' }
        ],
        [{ path: '/opt/app/hello', content: '' }, { path: '/usr/local/bin/app', target: '../../../opt/app/hello' }, { path: '/opt/lib/.wh.libm.so.6' }]
      ]
    }
  ]
  for (const c of cases) {
    it(`finds what a direct analysis finds: ${c.name}`, async () => {
      const layers = c.layers.map((l) => l.map((e) => (e.path.endsWith('hello') ? { ...e, content: bin.glibc } : e)))
      const source = createMemoryImageFs({ entrypoint: c.entrypoint }, layers)
      const direct = analyzeStart(source, 'linux/amd64')
      const view = new PrefetchImageFs(source.config)
      const result = await analyzeWithPrefetch(view, fetcherFor(view, source), 'linux/amd64', { maxRounds: 40 })
      expect(result.complete).toBe(true)
      expect(result.rounds).toBeGreaterThan(1)
      expect(result.analysis).toEqual(direct)
      expect(direct.findings.length).toBeGreaterThan(0)
    })
  }

  it('stops at the round limit and says so', async () => {
    const source = createMemoryImageFs({ entrypoint: ['/a/b/c/hello'] }, [[{ path: '/a/b/c/hello', content: bin.glibc }]])
    const view = new PrefetchImageFs(source.config)
    const result = await analyzeWithPrefetch(view, fetcherFor(view, source), 'linux/amd64', { maxRounds: 1 })
    expect(result).toMatchObject({ complete: false, rounds: 1 })
  })
})
