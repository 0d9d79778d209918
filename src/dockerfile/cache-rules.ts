/**
 * Advice on what the shipped stages keep that they need not: package indexes left by apk and apt,
 * and a whole build toolchain image as the final stage.
 */
import type { Finding } from '../types.js'
import { mayRun } from './branches.js'
import { isToolchainImage } from './images.js'
import type { RunStep } from './parse.js'
import { isCompile, lineage, stageLabel, type RuleContext } from './rules.js'
import { programName } from './shell.js'

function removes(run: RunStep, directory: string): boolean {
  return run.commands.some((c) => programName(c.argv) === 'rm' && c.argv.slice(1).some((a) => a.startsWith(directory)))
}

function cacheMounted(run: RunStep, directory: string): boolean {
  return run.cacheMounts.some((target) => directory.startsWith(target.replace(/\/+$/, '')))
}

export function packageCaches({ path, stages, target }: RuleContext): Finding[] {
  const findings: Finding[] = []
  for (const model of lineage(target, stages).reverse()) {
    for (const run of model.runs) {
      const runs = run.commands.filter((c) => mayRun(c, run))
      const apk = runs.find(
        (c) => ['apk', 'xx-apk'].includes(programName(c.argv)) && c.argv.includes('add') && !c.argv.includes('--no-cache') && !c.argv.includes('--no-network')
      )
      const update = runs.find((c) => programName(c.argv) === 'apk' && c.argv[1] === 'update')
      const leftBy = apk ?? update
      if (leftBy && !removes(run, '/var/cache/apk') && !cacheMounted(run, '/var/cache/apk')) {
        const what = leftBy === apk ? `\`${programName(leftBy.argv)} add\` without --no-cache` : '`apk update`'
        findings.push({
          severity: 'warning',
          code: 'apk-cache',
          message: `${what} leaves the package index in /var/cache/apk of the shipped stage ${stageLabel(model)}.`,
          fix: 'Use `apk add --no-cache …` (it also makes `apk update` unnecessary), or end the same RUN with `&& rm -rf /var/cache/apk/*`.',
          file: path,
          line: run.line,
          endLine: run.endLine
        })
      }
      const apt = runs.find((c) => ['apt-get', 'apt'].includes(programName(c.argv)) && c.argv.includes('install'))
      if (apt && !removes(run, '/var/lib/apt/lists') && !cacheMounted(run, '/var/lib/apt/lists')) {
        findings.push({
          severity: 'warning',
          code: 'apt-cache',
          message: `\`${programName(apt.argv)} install\` leaves the package lists in /var/lib/apt/lists of the shipped stage ${stageLabel(model)}.`,
          fix: 'End the same RUN with `&& rm -rf /var/lib/apt/lists/*`; a later RUN cannot take them out of this layer.',
          file: path,
          line: run.line,
          endLine: run.endLine
        })
      }
    }
  }
  return findings
}

/** An instruction line that puts a program into a bin directory (`COPY … /usr/bin/x`, `tar -C /usr/local/bin`). */
const INTO_BIN =
  /^\s*(?:COPY|ADD)\b.*\s\/(?:usr\/(?:local\/)?)?s?bin(?:\/\S*)?\s*$|^\s*(?:COPY|ADD)\b.*\s\/go\/bin(?:\/\S*)?\s*$|\s-C\s+\/usr\/(?:local\/)?bin\b/m

/** File names that say the image is meant to carry the toolchain: `Dockerfile.builder`, `builder-go.dockerfile`, `Dockerfile.test`, `dev.Dockerfile`. */
const TOOLCHAIN_FILE = /(^|[-_.])(builder|build-env|dev|devel|test|tests|ci|lint|tools?|toolchain|sdk)($|[-_.])/i

export function toolchainFinalStage({ path, stages, target }: RuleContext): Finding[] {
  const image = target.stage.rootImage
  if (!isToolchainImage(image)) return []
  if (TOOLCHAIN_FILE.test(path.slice(path.lastIndexOf('/') + 1).replace(/^dockerfile$/i, ''))) return []
  const shipped = lineage(target, stages)
  // A tool image on purpose (a builder like xcaddy, a linter, a release tool that runs `go`): it brings a ready program
  // into the toolchain image and compiles nothing of its own there.
  const compiles = shipped.some((m) => m.runs.some((r) => r.commands.some((c) => isCompile(c) && mayRun(c, r))))
  if (!compiles && shipped.some((m) => INTO_BIN.test(m.source))) return []
  const root = lineage(target, stages).at(-1)!
  return [
    {
      severity: 'warning',
      code: 'toolchain-final-stage',
      message: `The target stage ${stageLabel(target)} ships the build toolchain image ${image}, with its compiler and sources.`,
      fix:
        'Build in this image, then copy only the result into a runtime stage: ' +
        '`FROM alpine` (or distroless/static, or `scratch` for a static binary) with `COPY --from=<build stage> …`.',
      file: path,
      line: root.stage.line
    }
  ]
}
