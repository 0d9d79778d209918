/**
 * The image doctor: looks inside one platform's image before it is started, and explains a failed
 * start in terms of what it found.
 */
import type { Finding } from '../types.js'
import { analyzeStart, type EntryInfo } from './linkage.js'
import { ImageArchiveError, openImage, type ImageConfig } from './rootfs.js'

export interface ImageReport {
  findings: Finding[]
  entry?: EntryInfo
  config: ImageConfig
  /** How much was read: archive bytes streamed, file bytes spooled, and bytes the analysis read. */
  stats?: { archiveBytes: number; spooledBytes: number; bytesRead: number; entries: number; layers: number; durationMs: number }
}

const EMPTY_CONFIG: ImageConfig = { entrypoint: null, cmd: null, env: [], workingDir: '', user: '', architecture: '', os: '' }

/** Look inside the image loaded in the engine as `ref`, built for `platform` (e.g. `linux/arm64`). */
export async function examineImage(ref: string, platform: string, opts: { args?: string[]; tempDir?: string } = {}): Promise<ImageReport> {
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
        archiveBytes: image.stats.archiveBytes,
        spooledBytes: image.stats.spooledBytes,
        bytesRead: image.bytesRead,
        entries: image.stats.entries,
        layers: image.stats.layers,
        durationMs: Date.now() - started
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
