/**
 * The image doctor: looks inside one platform's image before it is started, and explains a failed
 * start in terms of what it found.
 */
import * as core from '@actions/core'
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
      const r = await examineInContainer(ref, platform, { args: opts.args, limits: opts.limits })
      if (method === 'auto' && r.untracedLoops.length > 0 && r.findings.some((f) => f.severity === 'error')) {
        // The engine does not show a looping link's target; the image's own archive does, to name the loop.
        core.debug(`reading ${ref} through docker save: the engine cannot resolve ${r.untracedLoops.join(', ')}`)
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
      core.debug(`reading ${ref} through docker save: ${err instanceof ContainerFsUnavailable ? '' : 'the engine API failed: '}${(err as Error).message}`)
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

/** Finding codes that explain each kind of runtime start error, best first. */
const EXPLAINS: Array<{ pattern: RegExp; codes: string[]; meaning: string; generic: string }> = [
  {
    pattern: /exec format error/i,
    codes: ['arch-mismatch', 'not-executable-format', 'shebang-crlf'],
    meaning: 'the kernel does not recognise the program as something it can run',
    generic:
      'Either the binary is built for another CPU architecture than the image platform (cross-compile it for the target: `FROM --platform=$BUILDPLATFORM` and `GOOS=$TARGETOS GOARCH=$TARGETARCH` for Go, or the target\'s cross compiler), or it is a script without a `#!` line (add `#!/bin/sh`).'
  },
  {
    pattern: /error while loading shared libraries|cannot open shared object file/i,
    codes: ['missing-library', 'arch-mismatch'],
    meaning: 'the program started, but the dynamic loader could not find one of its shared libraries',
    generic: 'Install the package that provides the library in the final stage, copy it from the build stage, or link the program statically.'
  },
  {
    pattern: /executable file not found in \$PATH|not found in \$PATH/i,
    codes: ['entrypoint-missing', 'entrypoint-not-executable'],
    meaning: "the command's name is not found in any directory of the image's PATH",
    generic: 'Use the absolute path of the program in ENTRYPOINT/CMD, or check that the final stage copies it into a directory on PATH.'
  },
  {
    pattern: /permission denied/i,
    codes: ['entrypoint-not-executable', 'entrypoint-not-regular', 'interpreter-missing'],
    meaning: 'the file exists but cannot be executed',
    generic: 'Make the file executable (`COPY --chmod=755`, or `RUN chmod +x <file>`), and check that ENTRYPOINT names a file, not a directory.'
  },
  {
    pattern: /too many levels of symbolic links/i,
    codes: ['entrypoint-missing', 'missing-loader', 'interpreter-missing'],
    meaning: 'a symbolic link on the way to the program (or to its loader or interpreter) leads round in a loop',
    generic: 'Check the links on the path ENTRYPOINT/CMD names (`ls -l` each part of it in the image) and point the looping one at the real file.'
  },
  {
    pattern: /not a directory/i,
    codes: ['entrypoint-missing', 'missing-loader', 'interpreter-missing'],
    meaning: 'a part of the path that should be a directory is a file',
    generic: 'Check each part of the path ENTRYPOINT/CMD names: one of them is a file where a directory is expected.'
  },
  {
    pattern: /no such file or directory|not found/i,
    codes: ['entrypoint-missing', 'missing-loader', 'interpreter-missing', 'shebang-crlf', 'missing-library', 'arch-mismatch'],
    meaning: 'either the program, or the loader it needs (for a dynamically linked binary), or the interpreter named on its `#!` line (for a script) is missing from the image',
    generic:
      'Check that the final stage copies the program to the path ENTRYPOINT/CMD names. For a binary built on another base image (e.g. with glibc, run on alpine/musl or scratch), link it statically (`CGO_ENABLED=0` for Go) or use a matching base image; for a script, make sure its interpreter is installed and that the file has LF line endings.'
  }
]

/** The one explanation of a failed start a user should read: what the runtime's message means here, and what to change. */
export function explainStartFailure(runtimeMessage: string, findings: Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error')
  const rule = EXPLAINS.find((r) => r.pattern.test(runtimeMessage))
  const quoted = `"${runtimeMessage.trim().split('\n')[0]!.slice(0, 300)}"`
  if (rule) {
    for (const code of rule.codes) {
      const f = errors.find((x) => x.code === code)
      if (f) return `${quoted} means ${rule.meaning}. Here: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`
    }
    if (errors[0]) return `${quoted} means ${rule.meaning}. The image check found: ${errors[0].message}${errors[0].fix ? ` Fix: ${errors[0].fix}` : ''}`
    return `${quoted} means ${rule.meaning}. ${rule.generic}`
  }
  if (errors[0]) return `The container did not start (${quoted}). The image check found: ${errors[0].message}${errors[0].fix ? ` Fix: ${errors[0].fix}` : ''}`
  return `The container did not start (${quoted}). Check ENTRYPOINT/CMD of the final stage and run the image locally with \`docker run --rm <image>\` to see the full error.`
}
