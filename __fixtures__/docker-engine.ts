/**
 * A scripted Docker engine for unit tests: it answers the docker commands the pipeline sends (argument arrays)
 * from a script saying what the engine is (image store, architecture, buildx, builder) and how each platform's
 * build and start go, and it keeps the state those commands change (images loaded, containers and their state),
 * so that a command out of order fails as it would on a real engine.
 */
import * as fs from 'node:fs'
import { buildImage, classicSave, imageIndex, ociSave, type BuiltImage, type ImageSpec } from './images.js'
import { manifestsOf } from './registry.js'

export type Store = 'containerd' | 'classic'

/** How a platform's container behaves when started. */
export interface StartScript {
  /** The program's exit code (default 0). */
  exitCode?: number
  /** What it prints, as `docker logs` gives it. */
  output?: string
  /** Still running when the check's time is up (a server): `docker wait` ends by the timeout. */
  running?: boolean
  /** Running, and deaf to SIGTERM: `docker stop` kills it (137). */
  ignoresSigterm?: boolean
  /** `docker start` fails with this daemon error (the runtime could not start the process). */
  startError?: string
}

export interface PlatformScript {
  /** The build fails with these last log lines; a shared solve that includes the platform fails with them too. */
  buildFails?: string[]
  start?: StartScript
  image?: Omit<ImageSpec, 'platform'>
}

export interface EngineScript {
  store: Store
  /** `docker info`'s Architecture. */
  architecture: string
  serverVersion: string
  /** `docker buildx version`'s output; an exit code other than 0 when buildx is missing. */
  buildx: { exitCode: number; stdout: string; stderr: string }
  builder: { name: string; driver: string; platforms: string[] }
  /** Per platform, what its build and start do; a platform not named builds and exits 0. */
  platforms: Record<string, PlatformScript>
  /** Images in "the registry" for `buildx imagetools inspect`: reference → platform → compressed bytes. */
  registry: Record<string, Record<string, number>>
}

export function defaultScript(overrides: Partial<EngineScript> = {}): EngineScript {
  return {
    store: 'containerd',
    architecture: 'x86_64',
    serverVersion: '26.1.5',
    buildx: { exitCode: 0, stdout: 'github.com/docker/buildx 0.13.1 0.13.1\n', stderr: '' },
    builder: { name: 'default', driver: 'docker', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/386', 'linux/arm64', 'linux/arm/v7'] },
    platforms: {},
    registry: {},
    ...overrides
  }
}

/** What a command gives back. */
export interface Answer {
  exitCode: number
  stdout: string
  stderr: string
  timedOut?: boolean
  /** Output as it came, for `onOutput` (a build's progress). */
  chunks?: string[]
}

interface Image {
  built: BuiltImage[]
  id: string
}

interface Container {
  id: string
  name: string
  platform: string
  status: 'created' | 'running' | 'exited'
  exitCode: number
  script: StartScript
}

const ok = (stdout = ''): Answer => ({ exitCode: 0, stdout, stderr: '' })
const fail = (stderr: string, exitCode = 1, stdout = ''): Answer => ({ exitCode, stdout, stderr: `${stderr}\n` })

/** The value after `flag` in an argument list (`--tag x`), or undefined. */
export function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}

export class DockerEngine {
  readonly images = new Map<string, Image>()
  /** Every image ever loaded, removed ones included. */
  private readonly loaded = new Map<string, Image>()
  readonly containers = new Map<string, Container>()
  private serial = 0

  constructor(public script: EngineScript = defaultScript()) {}

  private platformScript(platform: string): PlatformScript {
    return this.script.platforms[platform] ?? {}
  }

  private nextId(): string {
    return (++this.serial).toString(16).padStart(64, 'c')
  }

  /** The answer to `docker <args>`; undefined when the fake knows no such command. */
  async answer(args: readonly string[], timeoutMs?: number): Promise<Answer | undefined> {
    const [a, b] = args
    if (a === 'info') return ok(JSON.stringify(this.info()))
    if (a === 'context' && b === 'show') return ok('default\n')
    if (a === 'context' && b === 'inspect') return args[2] === 'default' ? ok('unix:///var/run/docker.sock\n') : fail(`context "${args[2]}" does not exist`)
    if (a === 'buildx' && b === 'version') return { ...this.script.buildx }
    if (a === 'buildx' && b === 'inspect') return this.inspectBuilder(args.slice(2))
    if (a === 'buildx' && b === 'build') return this.build(args)
    if (a === 'buildx' && b === 'imagetools') return manifestsOf(this.script.registry, args)
    if (a === 'image' && b === 'inspect') return this.inspectImage(args.slice(2))
    if (a === 'image' && b === 'rm') return this.removeImage(args.at(-1)!)
    if (a === 'create') return this.create(args)
    if (a === 'start') return this.start(args[1])
    if (a === 'wait') return this.wait(args[1], timeoutMs)
    if (a === 'container' && b === 'inspect') return this.inspectContainer(args[2])
    if (a === 'stop') return this.stop(args.at(-1)!)
    if (a === 'logs') return this.logs(args.at(-1)!)
    if (a === 'rm') return this.remove(args.slice(1).filter((x) => !x.startsWith('-')))
    return undefined
  }

  /** `docker save` / `docker image save` of a loaded image, as the image store writes it. */
  async save(ref: string): Promise<Buffer | undefined> {
    const image = this.images.get(ref)
    if (!image) return undefined
    return this.script.store === 'classic' ? classicSave(ref, image.built[0]) : ociSave(ref, image.built)
  }

  /** The image of a platform built under `ref` (what the pipeline should have measured), even once removed. */
  built(ref: string, platform: string): BuiltImage {
    const found = this.loaded.get(ref)?.built.find((i) => i.platform === platform)
    if (!found) throw new Error(`fake engine: no image ${ref} for ${platform}`)
    return found
  }

  private info(): Record<string, unknown> {
    const containerd = this.script.store === 'containerd'
    return {
      ServerVersion: this.script.serverVersion,
      OSType: 'linux',
      Architecture: this.script.architecture,
      Driver: containerd ? 'overlayfs' : 'overlay2',
      DriverStatus: containerd ? [['driver-type', 'io.containerd.snapshotter.v1']] : [['Backing Filesystem', 'extfs']],
      RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: { 'docker.io': { Name: 'docker.io', Secure: true } } }
    }
  }

  private inspectBuilder(rest: readonly string[]): Answer {
    const name = rest.find((x) => !x.startsWith('-'))
    const { builder } = this.script
    if (name !== undefined && name !== builder.name) return fail(`ERROR: no builder "${name}" found`)
    return ok(
      `Name:          ${builder.name}\nDriver:        ${builder.driver}\n\nNodes:\nName:      ${builder.name}\nStatus:    running\nPlatforms: ${builder.platforms.join(', ')}\n`
    )
  }

  private async build(args: readonly string[]): Promise<Answer> {
    const platforms = (flag(args, '--platform') ?? '').split(',').filter(Boolean)
    const ref = flag(args, '--tag')
    const metadataFile = flag(args, '--metadata-file')
    if (!ref || !metadataFile || !args.includes('--load') || platforms.length === 0)
      return fail('ERROR: fake engine: a build without --platform, --tag, --metadata-file or --load')
    if (platforms.length > 1 && this.script.store === 'classic') {
      return fail('ERROR: docker exporter does not currently support exporting manifest lists')
    }
    const progress = [`#1 [internal] load build definition from Dockerfile`, `#1 DONE 0.0s`]
    const failing = platforms.find((p) => this.platformScript(p).buildFails)
    if (failing) {
      const lines = this.platformScript(failing).buildFails!.map((l) => (platforms.length > 1 ? l.replace(/^#(\d+) \[/, `#$1 [${failing} `) : l))
      const stderr = [...progress, ...lines].join('\n') + '\n'
      return { exitCode: 1, stdout: '', stderr, chunks: [stderr] }
    }
    const built = await Promise.all(platforms.map((p) => buildImage({ platform: p, ...this.platformScript(p).image })))
    const id = platforms.length > 1 ? imageIndex(built).digest : this.script.store === 'classic' ? built[0].configDigest : built[0].manifestDigest
    this.images.set(ref, { built, id })
    this.loaded.set(ref, { built, id })
    const digest = platforms.length > 1 ? id : built[0].manifestDigest
    const meta: Record<string, unknown> = { 'containerimage.digest': digest, 'image.name': ref }
    if (platforms.length === 1) meta['containerimage.config.digest'] = built[0].configDigest
    fs.writeFileSync(metadataFile, JSON.stringify(meta))
    const stderr = [...progress, `#9 exporting to image`, `#9 naming to ${ref} done`, `#9 DONE 0.1s`].join('\n') + '\n'
    return { exitCode: 0, stdout: '', stderr, chunks: [stderr] }
  }

  private inspectImage(rest: readonly string[]): Answer {
    const format = flag(rest, '--format')
    const ref = rest.at(-1)!
    const image = this.images.get(ref)
    if (!image) return fail(`Error response from daemon: No such image: ${ref}`, 1, format ? '' : '[]\n')
    const first = image.built[0]
    // On the containerd store .Size is the content (compressed) size; on the classic store, what the layers unpack to.
    const size = this.script.store === 'classic' ? first.uncompressedBytes : image.built.reduce((s, i) => s + i.compressedBytes, 0)
    const doc = {
      Id: image.id,
      RepoTags: [ref],
      Architecture: first.platform.split('/')[1],
      Os: 'linux',
      Size: size,
      Config: first.runConfig,
      RootFS: { Type: 'layers', Layers: first.layerTars.map((_, i) => `sha256:${String(i).repeat(64)}`) }
    }
    if (format === '{{.Id}}') return ok(`${image.id}\n`)
    if (format === '{{json .}}') return ok(`${JSON.stringify(doc)}\n`)
    if (format === undefined) return ok(`${JSON.stringify([doc])}\n`)
    return fail(`fake engine: unknown format ${format}`)
  }

  private removeImage(ref: string): Answer {
    if (!this.images.delete(ref)) return fail(`Error response from daemon: No such image: ${ref}`)
    return ok(`Untagged: ${ref}\n`)
  }

  private create(args: readonly string[]): Answer {
    const name = flag(args, '--name')!
    const platform = flag(args, '--platform')!
    if (this.containers.has(name)) return fail(`Error response from daemon: Conflict. The container name "/${name}" is already in use`)
    const ref = args.find((x) => this.images.has(x))
    if (ref === undefined) return fail('Unable to find image locally; pull access denied (the fake engine pulls nothing)', 125)
    const image = this.images.get(ref)!
    if (!image.built.some((i) => i.platform === platform)) {
      return fail(`Error response from daemon: image with reference ${ref} was found but does not match the specified platform: wanted ${platform}`)
    }
    const id = this.nextId()
    this.containers.set(name, { id, name, platform, status: 'created', exitCode: 0, script: this.platformScript(platform).start ?? {} })
    return ok(`${id}\n`)
  }

  private start(name: string): Answer {
    const c = this.containers.get(name)
    if (!c) return fail(`Error response from daemon: No such container: ${name}`)
    if (c.script.startError) {
      c.exitCode = 127
      return fail(`Error response from daemon: ${c.script.startError}\nError: failed to start containers: ${name}`)
    }
    c.status = c.script.running ? 'running' : 'exited'
    c.exitCode = c.script.running ? 0 : (c.script.exitCode ?? 0)
    return ok(`${name}\n`)
  }

  private wait(name: string, timeoutMs?: number): Answer {
    const c = this.containers.get(name)
    if (!c) return fail(`Error response from daemon: No such container: ${name}`)
    // Still running: the wait lasts until the caller's timeout kills it.
    if (c.status === 'running') return { exitCode: 137, stdout: '', stderr: '', timedOut: timeoutMs !== undefined }
    return ok(`${c.exitCode}\n`)
  }

  private inspectContainer(name: string): Answer {
    const c = this.containers.get(name)
    if (!c) return fail(`Error: No such container: ${name}`, 1, '[]\n')
    const state = { Status: c.status, Running: c.status === 'running', ExitCode: c.exitCode, Pid: c.status === 'running' ? 4242 : 0, OOMKilled: false }
    return ok(`${JSON.stringify([{ Id: c.id, Name: `/${name}`, State: state }])}\n`)
  }

  private stop(name: string): Answer {
    const c = this.containers.get(name)
    if (!c) return fail(`Error response from daemon: No such container: ${name}`)
    if (c.status === 'running') {
      c.status = 'exited'
      c.exitCode = c.script.ignoresSigterm ? 137 : 143
    }
    return ok(`${name}\n`)
  }

  private logs(name: string): Answer {
    const c = this.containers.get(name)
    if (!c) return fail(`Error response from daemon: No such container: ${name}`)
    return ok(c.status === 'created' ? '' : (c.script.output ?? ''))
  }

  private remove(names: readonly string[]): Answer {
    for (const n of names) {
      const byId = [...this.containers.values()].find((c) => c.id === n)
      this.containers.delete(byId?.name ?? n)
    }
    return ok(`${names.join('\n')}\n`)
  }
}
