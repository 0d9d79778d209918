/**
 * `smokestack lint [Dockerfile…]`: the Dockerfile reading and advice alone, no engine needed.
 * Reads the flags and the files, prints text, JSON or SARIF, and answers with the exit code:
 * 0 clean, 1 a finding at or above --fail-level, 2 a bad flag or value, or a file that cannot be read.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { InputError, normalizePlatform, parseAdviceCodes, parseKeyValues, readList } from '../context.js'
import { hostPlatform, nativePlatforms } from '../docker/platform.js'
import { FAIL_LEVELS, failsAt, lintFiles, LintInputError, type FailLevel, type LintFile } from '../lint/lint.js'
import { printable, renderJson, renderText } from '../lint/render.js'
import { renderSarif } from '../lint/sarif.js'
import { painter, useColor } from './paint.js'
import { messageOf } from '../errors.js'

export interface LintIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  cwd: string
  env: NodeJS.ProcessEnv
}

/** Larger than any Dockerfile; such a file is refused before it is parsed. */
const MAX_FILE_BYTES = 1024 * 1024
const FORMATS = ['text', 'json', 'sarif'] as const

export const LINT_USAGE = `Usage: smokestack lint [Dockerfile…] [options]

The Dockerfile reading and advice, without building (no engine needed).
A directory stands for its Dockerfile; without a file, ./Dockerfile.

Options:
  --platform LIST        Platforms the image is built for, e.g. linux/amd64,linux/arm64 (repeatable). Default: this machine's
  --build-platform P     The builder's own platform ($BUILDPLATFORM). Default: this machine's
  --target STAGE         Stage to build. Default: the last stage
  --build-arg KEY=VALUE  Build argument (repeatable)
  --ignore CODES         Advice codes not to report (repeatable, comma-separated)
  --format FORMAT        text, json or sarif. Default: text
  --fail-level LEVEL     Exit 1 on a finding at or above: error, warning, notice or none. Default: warning
  -h, --help             Show this help

A "# smokestack-ignore: code[,code]" comment on or above a line silences those codes there.
Exit codes: 0 no finding at or above the fail level, 1 such a finding, 2 a bad option or an unreadable file.
`

class LintUsageError extends Error {}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const v = value.trim().toLowerCase()
  if ((allowed as readonly string[]).includes(v)) return v as T
  throw new LintUsageError(`--${flag}: ${JSON.stringify(value)} is not valid; use one of: ${allowed.join(', ')}`)
}

/** Runs `smokestack lint` with `argv` (the words after `lint`); resolves to the exit code. */
export async function lintMain(argv: string[], io: LintIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`smokestack lint: ${printable(message)}\nRun smokestack lint --help for the options.\n`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        platform: { type: 'string', multiple: true },
        platforms: { type: 'string', multiple: true },
        'build-platform': { type: 'string' },
        target: { type: 'string' },
        'build-arg': { type: 'string', multiple: true },
        ignore: { type: 'string', multiple: true },
        format: { type: 'string' },
        'fail-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (e) {
    return fail(messageOf(e))
  }
  const { values, positionals } = parsed
  if (values.help) {
    io.stdout.write(LINT_USAGE)
    return 0
  }

  let options
  let format: (typeof FORMATS)[number]
  let failLevel: FailLevel
  try {
    const asFlag = <T>(flag: string, read: () => T): T => {
      try {
        return read()
      } catch (e) {
        if (e instanceof InputError) throw new LintUsageError(e.message.replace(`Input "${e.input}"`, `--${flag}`))
        throw e
      }
    }
    const host = hostPlatform('linux', os.machine())
    const platformList = readList('platform', [...(values.platform ?? []), ...(values.platforms ?? [])].join(','))
    const platforms = [...new Set(asFlag('platform', () => platformList.map((p) => normalizePlatform('platform', p))))]
    const buildPlatform =
      values['build-platform'] !== undefined ? asFlag('build-platform', () => normalizePlatform('build-platform', values['build-platform']!)) : host
    const target = values.target?.trim() || undefined
    if (target !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)) {
      throw new LintUsageError(`--target: ${JSON.stringify(target)} is not valid; use the name of a build stage (letters, digits, "_", "." or "-")`)
    }
    options = {
      platforms: platforms.length > 0 ? platforms : [buildPlatform],
      nativePlatforms: nativePlatforms(buildPlatform),
      ...(target !== undefined && { target }),
      buildArgs: asFlag('build-arg', () => parseKeyValues('build-arg', values['build-arg'] ?? [])),
      ignore: asFlag('ignore', () => parseAdviceCodes('ignore', (values.ignore ?? []).join(',')))
    }
    format = oneOf('format', values.format ?? 'text', FORMATS)
    failLevel = oneOf('fail-level', values['fail-level'] ?? 'warning', FAIL_LEVELS)
  } catch (e) {
    if (e instanceof LintUsageError) return fail(e.message)
    throw e
  }

  const files: LintFile[] = []
  for (const given of positionals.length > 0 ? positionals : ['Dockerfile']) {
    const read = readDockerfile(given, io.cwd)
    if (typeof read === 'string') return fail(read)
    files.push(read)
  }

  let reports
  try {
    reports = lintFiles(files, options)
  } catch (e) {
    if (e instanceof LintInputError) return fail(e.message.replace(/^Input "target"/, '--target'))
    throw e
  }
  const paint = painter(format === 'text' && useColor(io.stdout.isTTY, io.env))
  io.stdout.write(format === 'json' ? renderJson(reports) : format === 'sarif' ? renderSarif(reports) : renderText(reports, paint))
  return failsAt(reports, failLevel) ? 1 : 0
}

/** The file (a directory stands for its Dockerfile), or why it cannot be read. */
function readDockerfile(given: string, cwd: string): LintFile | string {
  let absolute = path.resolve(cwd, given)
  let shown = given
  try {
    if (fs.statSync(absolute).isDirectory()) {
      absolute = path.join(absolute, 'Dockerfile')
      shown = path.join(given, 'Dockerfile')
    }
    const size = fs.statSync(absolute).size
    if (size > MAX_FILE_BYTES) return `${shown}: ${size} bytes, more than a Dockerfile can be (${MAX_FILE_BYTES} at most)`
    const content = fs.readFileSync(absolute, 'utf8')
    const relative = path.relative(cwd, absolute)
    return { path: relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative, content }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return `${shown}: cannot read it (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory' : (code ?? String(e))})`
  }
}
