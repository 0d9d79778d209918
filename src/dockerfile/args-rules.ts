/**
 * Advice on what build arguments do to the stages: an architecture fixed by an ARG default in a build
 * for other platforms, and an image reference a substitution left damaged (`golang:1.21-`).
 */
import type { Finding } from '../types.js'
import type { ParsedDockerfile, StageModel } from './parse.js'
import { PLATFORM_ARGS } from './parse.js'
import { architectureOf, isArchitectureValue } from './platform.js'
import { lineage, stageLabel, type RuleContext } from './rules.js'

export function adviseOnArgs(context: RuleContext, parsed: ParsedDockerfile): Finding[] {
  return [...archPinnedByArg(context, parsed), ...suspectReference(context)]
}

/** Names of the variables a text refers to (`$A`, `${B}`, `${C:-x}`). */
export function variableNames(text: string): string[] {
  return [...text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])
}

const CROSS_COMPILES = /\b(TARGETARCH|TARGETPLATFORM|TARGETOS)\b|\bxx-/

export function archPinnedByArg({ path, stages, target, chain, platforms }: RuleContext, parsed: ParsedDockerfile): Finding[] {
  const findings: Finding[] = []
  const shipped = new Set(lineage(target, stages).map((m) => m.stage.index))
  for (const model of stages) {
    if (!chain.has(model.stage.index) || model.stage.baseStage !== undefined) continue
    const { image, platform } = model.written
    const pinned = (text: string | undefined): { name: string; value: string } | undefined => {
      for (const name of variableNames(text ?? '')) {
        const value = parsed.globalArgs[name]
        if (!PLATFORM_ARGS.has(name) && value !== undefined && isArchitectureValue(value)) return { name, value }
      }
      return undefined
    }
    const byImage = pinned(image)
    // A stage pinned to one platform by --platform is fine when it cross-compiles for the target and is not shipped.
    const crossCompiles = !shipped.has(model.stage.index) && stages.some((m) => lineageHas(m, model, stages) && CROSS_COMPILES.test(m.source))
    const byPlatform = crossCompiles ? undefined : pinned(platform)
    const copy = byImage || byPlatform ? undefined : pinnedCopy(model)
    const arg = byImage ?? byPlatform ?? copy?.arg
    if (!arg) continue
    const arch = architectureOf(arg.value)
    const others = platforms.filter((p) => architectureOf(p) !== arch)
    if (others.length === 0) continue
    const where = byImage
      ? `its base image ${model.stage.baseImage}`
      : byPlatform
        ? `its --platform ${model.stage.platformFlag}`
        : `the files of its COPY on line ${copy!.line}`
    findings.push({
      severity: 'warning',
      code: 'arch-pinned-by-arg',
      message:
        `Stage ${stageLabel(model)} takes ${where} from ${copy ? '' : 'ARG '}${arg.name}="${arg.value}"${copy ? '' : ` (${parsed.argOrigins[arg.name] === 'build-arg' ? 'a build-arg' : 'its default'})`}, ` +
        `one value for every platform: ${others.join(', ')} get${others.length === 1 ? 's' : ''} the ${arch} one.`,
      fix: `Use the automatic platform arguments instead (\`ARG TARGETARCH\`, then \`\${TARGETARCH}\`), which BuildKit sets per platform, or build each platform on its own with its own --build-arg ${arg.name}=….`,
      evidence: copy
        ? `COPY ${copy.text} on line ${copy.line}; platforms requested: ${platforms.join(', ')}.`
        : `FROM ${platform !== undefined ? `--platform=${platform} ` : ''}${image} on line ${model.stage.line}; platforms requested: ${platforms.join(', ')}.`,
      file: path,
      line: copy ? copy.line : model.stage.line
    })
  }
  return findings
}

/** The first COPY/ADD of the stage whose paths take an architecture from an ARG or ENV value (`.build/linux-${ARCH}/app`). */
function pinnedCopy(model: StageModel): { line: number; text: string; arg: { name: string; value: string } } | undefined {
  for (const copy of model.copies) {
    for (const name of variableNames(copy.text)) {
      const value = copy.scope[name]
      if (!PLATFORM_ARGS.has(name) && value !== undefined && isArchitectureValue(value)) return { line: copy.line, text: copy.text, arg: { name, value } }
    }
  }
  return undefined
}

/** Whether `ancestor` is `model` or one of the stages it is built on. */
function lineageHas(model: StageModel, ancestor: StageModel, stages: StageModel[]): boolean {
  return lineage(model, stages).includes(ancestor)
}

const DAMAGED_TAG = /[-._]$|--|-\.|\.-|\.\./

export function suspectReference({ path, stages, chain }: RuleContext): Finding[] {
  const findings: Finding[] = []
  for (const model of stages) {
    const { baseImage, baseStage, line } = model.stage
    if (!chain.has(model.stage.index) || baseStage !== undefined || !model.written.image.includes('$') || baseImage.includes('$')) continue
    const withoutDigest = baseImage.split('@')[0]
    const colon = withoutDigest.lastIndexOf(':')
    const tag = colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(colon + 1) : undefined
    if (tag === undefined || !DAMAGED_TAG.test(tag)) continue
    findings.push({
      severity: 'warning',
      code: 'suspect-reference',
      message: `FROM ${model.written.image} in stage ${stageLabel(model)} becomes ${baseImage}: the tag "${tag}" has a dangling separator, as when a variable is empty.`,
      fix: 'Give the ARG a default (`ARG NAME=value`) or pass it with --build-arg; `${NAME:+-${NAME}}` adds the separator only when the value is set.',
      file: path,
      line
    })
  }
  return findings
}
