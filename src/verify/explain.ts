/**
 * What a failed start means: the runtime's own words paired with the finding of the image doctor that explains
 * them, or, when nothing was found, what those words usually mean and what to check. Pure.
 */
import type { Finding } from '../types.js'
import type { FindingCode } from '../findings.js'

/** Finding codes that explain each kind of runtime start error, best first. */
const EXPLAINS: Array<{ pattern: RegExp; codes: FindingCode[]; meaning: string; generic: string }> = [
  {
    pattern: /exec format error/i,
    codes: ['arch-mismatch', 'not-executable-format', 'shebang-crlf'],
    meaning: 'the kernel does not recognise the program as something it can run',
    generic:
      "Either the binary is built for another CPU architecture than the image platform (cross-compile it for the target: `FROM --platform=$BUILDPLATFORM` and `GOOS=$TARGETOS GOARCH=$TARGETARCH` for Go, or the target's cross compiler), or it is a script without a `#!` line (add `#!/bin/sh`)."
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
    meaning:
      'either the program, or the loader it needs (for a dynamically linked binary), or the interpreter named on its `#!` line (for a script) is missing from the image',
    generic:
      'Check that the final stage copies the program to the path ENTRYPOINT/CMD names. For a binary built on another base image (e.g. with glibc, run on alpine/musl or scratch), link it statically (`CGO_ENABLED=0` for Go) or use a matching base image; for a script, make sure its interpreter is installed and that the file has LF line endings.'
  }
]

const UNKNOWN_ADVICE = 'Check ENTRYPOINT/CMD of the final stage and run the image locally with `docker run --rm <image>` to see the full error.'

export interface StartExplanation {
  /** The runtime's message, first line, bounded. */
  said: string
  /** What such a message means, when it is one of the known kinds. */
  meaning?: string
  /** The doctor's finding that explains it. */
  cause?: Finding
  /** The finding is of a kind that causes exactly this message (not just the first error found). */
  direct?: boolean
  /** What to check when no finding explains it. */
  advice?: string
}

/** Pairs a failed start's runtime message with the finding that explains it. */
export function explainStart(runtimeMessage: string, findings: readonly Finding[]): StartExplanation {
  const errors = findings.filter((f) => f.severity === 'error')
  const said = runtimeMessage.trim().split('\n')[0]!.slice(0, 300)
  const rule = EXPLAINS.find((r) => r.pattern.test(runtimeMessage))
  const direct = rule?.codes.map((code) => errors.find((f) => f.code === code)).find((f) => f !== undefined)
  const cause = direct ?? errors[0]
  if (cause) return { said, meaning: rule?.meaning, cause, direct: direct !== undefined }
  return { said, meaning: rule?.meaning, advice: rule?.generic ?? UNKNOWN_ADVICE }
}

/** The explanation as one paragraph, for a log line or an annotation. */
export function explanationText(e: StartExplanation): string {
  const quoted = `"${e.said}"`
  const lead = e.meaning ? `${quoted} means ${e.meaning}.` : `The container did not start (${quoted}).`
  if (e.cause) return `${lead} ${e.direct ? 'Here' : 'The image check found'}: ${e.cause.message}${e.cause.fix ? ` Fix: ${e.cause.fix}` : ''}`
  return `${lead} ${e.advice}`
}

/** The one explanation of a failed start a user should read: what the runtime's message means here, and what to change. */
export function explainStartFailure(runtimeMessage: string, findings: readonly Finding[]): string {
  return explanationText(explainStart(runtimeMessage, findings))
}
