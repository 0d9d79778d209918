/**
 * A container's state and an image's config, read through the engine API when it can be used (a
 * request, no process) and through `docker inspect` otherwise. The start check polls the state
 * several times a second while it waits for a server to be ready.
 */
import { docker } from '../docker/exec.js'
import { EngineApi } from '../docker/api.js'

export interface ContainerState {
  id: string
  running: boolean
  /** `created`, `running`, `exited` … */
  status: string
  exitCode: number
  pid: number
  oomKilled: boolean
  /** `State.Health`, as the engine gives it, when the container has a health check. */
  health?: { status: string; raw: unknown }
}

function toState(raw: unknown): ContainerState | undefined {
  const c = (raw && typeof raw === 'object' ? raw : {}) as { Id?: unknown; State?: Record<string, unknown> }
  const s = c.State
  if (!s || typeof c.Id !== 'string') return undefined
  const h = s.Health as Record<string, unknown> | undefined
  return {
    id: c.Id,
    running: s.Running === true,
    status: typeof s.Status === 'string' ? s.Status : '',
    exitCode: typeof s.ExitCode === 'number' ? s.ExitCode : -1,
    pid: typeof s.Pid === 'number' ? s.Pid : 0,
    oomKilled: s.OOMKilled === true,
    health: h && typeof h.Status === 'string' ? { status: h.Status, raw: h } : undefined
  }
}

export class Inspector {
  private api?: EngineApi
  private apiWorks = true

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const client = EngineApi.fromEnv(env)
    if (client instanceof EngineApi) this.api = client
  }

  private async read(apiPath: string, cli: string[]): Promise<unknown> {
    if (this.api && this.apiWorks) {
      try {
        const res = await this.api.request({ method: 'GET', path: apiPath, timeoutMs: 10_000, maxBytes: 4 * 1024 * 1024 })
        if (res.status === 404) return undefined
        if (res.status === 200) return JSON.parse(res.body.toString('utf8')) as unknown
      } catch {
        this.apiWorks = false
      }
    }
    const r = await docker(cli, { allowFailure: true, timeoutMs: 30_000 })
    if (r.exitCode !== 0) return undefined
    try {
      return (JSON.parse(r.stdout) as unknown[])[0]
    } catch {
      return undefined
    }
  }

  /** The container's state, or undefined when it is gone. */
  async state(name: string): Promise<ContainerState | undefined> {
    return toState(await this.read(`/containers/${encodeURIComponent(name)}/json`, ['container', 'inspect', name]))
  }

  /** The image's `Config` (Entrypoint, Cmd, Healthcheck, ExposedPorts …), or undefined when it cannot be read. */
  async imageConfig(ref: string): Promise<Record<string, unknown> | undefined> {
    const image = (await this.read(`/images/${encodeURIComponent(ref)}/json`, ['image', 'inspect', ref])) as { Config?: unknown } | undefined
    return image?.Config && typeof image.Config === 'object' ? (image.Config as Record<string, unknown>) : image ? {} : undefined
  }

  close(): void {
    this.api?.close()
  }
}
