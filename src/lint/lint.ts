/**
 * `smokestack lint` without an engine: Dockerfiles in, their stages and advice out. Pure: the files
 * are read by the caller; a Dockerfile BuildKit would refuse becomes a `dockerfile-invalid` finding.
 */
import { analyzeDockerfile, DockerfileError, stageRows, type StageRow } from '../dockerfile/index.js'
import { withoutIgnored } from '../dockerfile/ignore.js'
import type { FindingCode } from '../findings.js'
import type { Finding, Severity } from '../types.js'

export interface LintFile {
  /** As findings name it (relative to the working directory, as given). */
  path: string
  content: string
}

export interface LintOptions {
  platforms: string[]
  /** The builder's own platform (`$BUILDPLATFORM`): what runs without emulation. */
  nativePlatforms: string[]
  target?: string
  buildArgs: Record<string, string>
  ignore: FindingCode[]
}

export interface FileReport {
  path: string
  /** Empty when the file cannot be read as a Dockerfile. */
  stages: StageRow[]
  /** Labels of the stages that reach the target, in file order. */
  chain: string[]
  findings: Finding[]
}

/** A value asked of every file that one of them cannot answer (`--target` naming no stage). */
export class LintInputError extends Error {
  constructor(
    readonly flag: string,
    message: string
  ) {
    super(message)
    this.name = 'LintInputError'
  }
}

export function lintFile(file: LintFile, options: LintOptions): FileReport {
  try {
    const analysis = analyzeDockerfile({ ...file, ...options })
    const rows = stageRows(analysis)
    return { path: file.path, stages: rows, chain: rows.filter((r) => r.role !== 'unused').map((r) => r.label), findings: analysis.findings }
  } catch (e) {
    if (!(e instanceof DockerfileError)) throw e
    if (e.input !== undefined) throw new LintInputError(e.input, e.message)
    const finding: Finding = {
      severity: 'error',
      code: 'dockerfile-invalid',
      message: withoutPrefix(e.message, [`${file.path}:${e.line}: `, `${file.path}: `]),
      file: file.path,
      ...(e.line !== undefined && { line: e.line })
    }
    return { path: file.path, stages: [], chain: [], findings: withoutIgnored([finding], file.content, options.ignore, file.path) }
  }
}

function withoutPrefix(text: string, prefixes: string[]): string {
  const prefix = prefixes.find((p) => text.startsWith(p))
  return prefix ? text.slice(prefix.length) : text
}

export function lintFiles(files: LintFile[], options: LintOptions): FileReport[] {
  return files.map((f) => lintFile(f, options))
}

const RANK: Record<Severity, number> = { notice: 0, warning: 1, error: 2 }
export const FAIL_LEVELS = ['error', 'warning', 'notice', 'none'] as const
export type FailLevel = (typeof FAIL_LEVELS)[number]

/** Whether any finding is at or above the level (`none`: never). */
export function failsAt(reports: FileReport[], level: FailLevel): boolean {
  if (level === 'none') return false
  return reports.some((r) => r.findings.some((f) => RANK[f.severity] >= RANK[level]))
}
