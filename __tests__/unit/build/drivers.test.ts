import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { BuilderError, planLoad, sharedSolve, unlistedPlatforms } from '../../../src/build/drivers.js'
import { buildArgs } from '../../../src/build/args.js'
import { parseBuilderInspect } from '../../../src/docker/buildx.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/buildx-inspect')
const inspect = (name: string) => parseBuilderInspect(fs.readFileSync(path.join(FIXTURES, `${name}.txt`), 'utf8'))

describe('buildx inspect of each driver', () => {
  it('reads the docker driver of this machine: one node on the default context', () => {
    const b = inspect('docker')
    expect(b).toMatchObject({ name: 'default', driver: 'docker' })
    expect(b.nodes).toEqual([{ name: 'default', endpoint: 'default', status: 'running', error: undefined, platforms: expect.arrayContaining(['linux/amd64', 'linux/arm64']) }])
    expect(b.platforms).not.toContain('org.mobyproject.buildkit.worker.executor')
  })
  it('reads every node of a docker-container builder, and joins their platforms', () => {
    const b = inspect('docker-container')
    expect(b).toMatchObject({ name: 'elated_tesla', driver: 'docker-container', platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6'] })
    expect(b.nodes?.map((n) => [n.name, n.endpoint, n.status])).toEqual([
      ['elated_tesla0', 'unix:///var/run/docker.sock', 'running'],
      ['elated_tesla1', 'ssh://ubuntu@1.2.3.4', 'running']
    ])
  })
  it('reads a kubernetes builder of two deployments, replicas repeated', () => {
    const b = inspect('kubernetes')
    expect(b).toMatchObject({ name: 'kube', driver: 'kubernetes', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/386', 'linux/arm64'] })
    expect(b.nodes).toHaveLength(4)
    expect(b.nodes?.[2].endpoint).toBe('kubernetes:///kube?deployment=builder-arm64&kubeconfig=')
  })
  it('reads a remote builder and a node that failed', () => {
    expect(inspect('remote')).toMatchObject({ name: 'buildkit-exp', driver: 'remote', platforms: ['windows/amd64'], nodes: [{ endpoint: 'npipe:////./pipe/buildkitd', status: 'running' }] })
    expect(inspect('node-error').nodes?.map((n) => [n.error, n.status])).toEqual([
      ['Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?', undefined],
      [undefined, 'stopped']
    ])
  })
})

describe('how the images reach the checks', () => {
  it('docker driver of the current context: built in the engine', () => {
    expect(planLoad(inspect('docker'), { name: 'default' })).toEqual({ load: 'in-engine', notes: [] })
  })
  it('docker driver of another context: refused before building, naming both contexts', () => {
    expect(() => planLoad(inspect('docker-other-context'), { name: 'default' })).toThrow(BuilderError)
    expect(() => planLoad(inspect('docker-other-context'), { name: 'default' })).toThrow(
      'builder "remote-engine" uses the docker driver of context "remote-engine", so its images are loaded into that engine, while the checks run on the engine of the current context "default"'
    )
    expect(() => planLoad(inspect('docker'), { name: 'remote-engine' })).toThrow(/context "default".*current context "remote-engine"/)
    const current = { name: 'default', host: 'unix:///var/run/docker.sock' }
    expect(() => planLoad(inspect('docker-other-context'), current, { name: 'remote-engine', host: 'ssh://ci@build-host' })).toThrow(
      /current context "default" \(ssh:\/\/ci@build-host, not unix:\/\/\/var\/run\/docker\.sock\)/
    )
  })
  it('docker driver of another context on the same engine: built in that engine, which the checks use', () => {
    const current = { name: 'default', host: 'unix:///var/run/docker.sock' }
    expect(planLoad(inspect('docker-other-context'), current, { name: 'remote-engine', host: 'unix:///var/run/docker.sock' }).load).toBe('in-engine')
  })
  it('docker-container, kubernetes and remote: streamed into the current engine by --load, saying where BuildKit runs', () => {
    for (const name of ['docker-container', 'kubernetes', 'remote']) expect(planLoad(inspect(name), { name: 'default' }).load).toBe('streamed')
    expect(planLoad(inspect('docker-container'), { name: 'default' }).notes).toEqual([
      'BuildKit runs at unix:///var/run/docker.sock, ssh://ubuntu@1.2.3.4 (docker-container driver); each image is streamed into the current engine for the checks.'
    ])
  })
  it('a builder with no running node is refused, naming each node\'s error', () => {
    expect(() => planLoad(inspect('node-error'), { name: 'default' })).toThrow(/builder "elated_tesla" \(docker-container\) has no running node \(elated_tesla0: Cannot connect to the Docker daemon.*; elated_tesla1: stopped\)/)
  })
  it('a driver not known here is treated as streaming, and said so', () => {
    const b = { ...inspect('remote'), driver: 'cloud' }
    expect(planLoad(b, { name: 'default' })).toMatchObject({ load: 'streamed', notes: [expect.stringContaining('The "cloud" buildx driver is not known here'), expect.stringContaining('(cloud driver)')] })
  })
})

describe('one solve or one build per platform', () => {
  const three = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
  it('one solve on the containerd store for every driver that loads into the engine', () => {
    for (const driver of ['docker', 'docker-container', 'remote', 'kubernetes']) expect(sharedSolve(three, true, driver)).toBe(true)
  })
  it('one build per platform on the classic store, for one platform, and for an unknown driver', () => {
    for (const driver of ['docker', 'docker-container', 'remote', 'kubernetes']) expect(sharedSolve(three, false, driver)).toBe(false)
    expect(sharedSolve(['linux/amd64'], true, 'docker-container')).toBe(false)
    expect(sharedSolve(three, true, 'cloud')).toBe(false)
  })
  it('names the platforms no node lists', () => {
    expect(unlistedPlatforms(inspect('kubernetes'), three)).toEqual(['linux/arm/v7'])
    expect(unlistedPlatforms(inspect('docker-container'), ['linux/arm', 'linux/arm64/v8'])).toEqual([])
  })
  it('builds with --load on the named builder, without attestations, whatever the driver', () => {
    const args = buildArgs({ context: '.', file: 'Dockerfile', platforms: ['linux/arm64'], localRef: 'smokestack-local/x:linux-arm64', builder: 'kube', buildArgs: {}, labels: {}, noCache: false, cacheArgs: [], secrets: [], metadataFile: 'm.json' })
    expect(args.slice(0, 4)).toEqual(['buildx', 'build', '--builder', 'kube'])
    expect(args).toEqual(expect.arrayContaining(['--load', '--provenance=false', '--sbom=false']))
  })
})
