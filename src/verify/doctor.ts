/**
 * The image doctor: looks inside one platform's image before it is started, and explains a failed
 * start in terms of what it found.
 */
import type { Finding } from '../types.js'
import { examineInContainer, ContainerFsUnavailable, type FetchLimits } from './container-fs.js'
import { analyzeStart, type EntryInfo } from './linkage.js'
import { ImageArchiveError, openImage, type ImageConfig } from './rootfs.js'

/** How the image was read, and how much of it. */
export interface ExamineStats {
  /** `api`: single paths read from a created container; `archive`: the whole image streamed by `docker save`. */
  method: 'api' | 'archive'
  /** Bytes the analysis read. */
  bytesRead: number
  durationMs: number
  /** Engine API requests (api). */
  requests?: number
  /** Analysis runs, each followed by one batch of reads (api). */
  rounds?: number
  /** Archive bytes streamed from the engine (api: single-path archives; archive: the whole image). */
  bytesStreamed?: number
  /** File bytes kept in memory (api) or copied to the spool (archive). */
  bytesKept?: number
  /** Filesystem entries and layers indexed (archive). */
  entries?: number
  layers?: number
}

export interface ImageReport {
  findings: Finding[]
  entry?: EntryInfo
  config: ImageConfig
  stats?: ExamineStats
}

export interface ExamineOptions {
  /** Arguments that replace CMD (smoke-args). */
  args?: string[]
  /** Directory for the archive reader's spool. */
  tempDir?: string
  /** `auto` (default): the engine API, else `docker save`; or force one. */
  method?: 'auto' | 'api' | 'archive'
  limits?: Partial<FetchLimits>
  /** Told why the image is read through `docker save` instead of the engine API. */
  onFallback?: (why: string) => void
  /** Name of the container created to read the image (recorded by the caller for cleanup before it exists). */
  containerName?: string
}

const EMPTY_CONFIG: ImageConfig = { entrypoint: null, cmd: null, env: [], workingDir: '', user: '', architecture: '', os: '' }

/**
 * Look inside the image loaded in the engine as `ref`, built for `platform` (e.g. `linux/arm64`).
 * Reads only the files the analysis needs through the engine API; when the API cannot be used,
 * streams the whole image with `docker save` instead.
 */
export async function examineImage(ref: string, platform: string, opts: ExamineOptions = {}): Promise<ImageReport> {
  const method = opts.method ?? 'auto'
  if (method !== 'archive') {
    try {
      const r = await examineInContainer(ref, platform, { args: opts.args, limits: opts.limits, containerName: opts.containerName })
      if (method === 'auto' && r.untracedLoops.length > 0 && r.findings.some((f) => f.severity === 'error')) {
        // The engine does not show a looping link's target; the image's own archive does, to name the loop.
        opts.onFallback?.(`reading ${ref} through docker save: the engine cannot resolve ${r.untracedLoops.join(', ')}`)
        return examineArchive(ref, platform, opts)
      }
      const findings = [...r.findings, ...r.notices.map((message): Finding => ({ severity: 'notice', code: 'examine-incomplete', message, platform }))]
      return {
        findings,
        entry: r.entry,
        config: r.config,
        stats: {
          method: 'api',
          bytesRead: r.stats.bytesRead,
          durationMs: r.stats.durationMs,
          requests: r.stats.requests,
          rounds: r.stats.rounds,
          bytesStreamed: r.stats.bytesStreamed,
          bytesKept: r.stats.bytesKept
        }
      }
    } catch (err) {
      if (method === 'api') throw err
      opts.onFallback?.(
        `reading ${ref} through docker save: ${err instanceof ContainerFsUnavailable ? '' : 'the engine API failed: '}${(err as Error).message}`
      )
    }
  }
  return examineArchive(ref, platform, opts)
}

/** The `docker save` reader: streams the whole image once. */
async function examineArchive(ref: string, platform: string, opts: ExamineOptions): Promise<ImageReport> {
  const started = Date.now()
  let image
  try {
    image = await openImage(ref, { platform, tempDir: opts.tempDir })
  } catch (err) {
    if (!(err instanceof ImageArchiveError)) throw err
    return {
      findings: [
        {
          severity: 'warning',
          code: 'image-unreadable',
          message: `The image's filesystem could not be examined: ${err.message}.`,
          platform
        }
      ],
      config: EMPTY_CONFIG
    }
  }
  try {
    const { findings, entry } = analyzeStart(image, platform, { args: opts.args })
    return {
      findings,
      entry,
      config: image.config,
      stats: {
        method: 'archive',
        bytesRead: image.bytesRead,
        durationMs: Date.now() - started,
        bytesStreamed: image.stats.archiveBytes,
        bytesKept: image.stats.spooledBytes,
        entries: image.stats.entries,
        layers: image.stats.layers
      }
    }
  } finally {
    image.close()
  }
}
