/**
 * Reads a Dockerfile into build stages: base images after ARG substitution, the stages each one
 * reads files from, and its RUN steps as shell commands with the variables in effect.
 */
import { DockerfileParser, type Run, type From, type Copy, type Arg, type Env } from 'dockerfile-ast'
import { DockerfileError } from './errors.js'
import { platformArgValues, type PlatformScope } from './platform.js'
import { checkReference } from './reference.js'
import { goEnvWrites, readRunCommands } from './run.js'
import type { ShellCommand } from './shell.js'
import { expandVariables } from './variables.js'

/** One build stage, as the summary shows it. */
export interface Stage {
  /** Position among the stages, from 0 (what `COPY --from=<index>` refers to). */
  index: number
  /** The `AS` name, as written. */
  name?: string
  /** Base image after ARG substitution (`golang:1.15`, `scratch`), or the stage name for `FROM <stage>`. */
  baseImage: string
  /** Index of the stage this one is built on (`FROM <stage>`; for a name made of platform arguments, on the first platform). */
  baseStage?: number
  /** The other stages such a name resolves to on the other platforms requested. */
  otherBaseStages?: number[]
  /** The `--platform` flag as written (`$BUILDPLATFORM`). */
  platformFlag?: string
  /** 1-based line of the FROM instruction. */
  line: number
  /** 1-based last line of the stage's last instruction. */
  endLine: number
  /** The image at the bottom of the `FROM <stage>` chain. */
  rootImage: string
  /** Stages whose files this stage reads, by `COPY --from` or `RUN --mount=from` (indices). */
  copiesFrom: number[]
  /** Images this stage reads files from directly (`COPY --from=<image>`). */
  copiesFromImages: string[]
}

/** A RUN instruction, read as shell commands. */
export interface RunStep {
  line: number
  endLine: number
  commands: ShellCommand[]
  /** Targets of `--mount=type=cache` (kept out of the image). */
  cacheMounts: string[]
  /** Variables set for the RUN by ARG and ENV (ENV wins), inherited ENV included. */
  variables: Record<string, string>
  /** Values written earlier with `go env -w` in this stage or the stages it is built on. */
  goEnv: Record<string, string>
  /** ARGs declared in the stage without a value or build-arg (unset in the shell); platform arguments excepted. */
  unsetArgs: string[]
}

/** A stage with what the rules need beyond the summary. */
export interface StageModel {
  stage: Stage
  runs: RunStep[]
  /** Source text of the stage's instructions (for "is X mentioned anywhere"). */
  source: string
  /** ENV values at the end of the stage (inherited by `FROM <stage>`). */
  env: Record<string, string>
  goEnv: Record<string, string>
  /** The FROM image and `--platform` value as written, before any substitution. */
  written: { image: string; platform?: string }
  /** COPY and ADD instructions: line, arguments as written, and the stage's ARG and ENV values there. */
  copies: Array<{ line: number; text: string; scope: Record<string, string> }>
}

export interface ParsedDockerfile {
  stages: StageModel[]
  escapeChar: string
  /** Global ARG values (defaults or build-args) and where each came from. */
  globalArgs: Record<string, string>
  argOrigins: Record<string, 'default' | 'build-arg'>
}

/** Arguments BuildKit defines per platform; left as written when not given. */
export const PLATFORM_ARGS = new Set(['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'])
const keepPlatformArgs = (name: string): boolean => PLATFORM_ARGS.has(name)
const STAGE_NAME = /^[a-z][a-z0-9._-]*$/i

/** Parses `content` (the Dockerfile at `path`); throws DockerfileError when it cannot be built. */
export function parseDockerfile(path: string, content: string, buildArgs: Record<string, string>, scope: PlatformScope = { targets: [] }): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(content)
  const variants = platformArgValues(scope)
  const escapeChar = dockerfile.getEscapeCharacter()
  const sourceLines = content.split(/\r?\n/)
  const expand = (text: string, scope: Record<string, string>): string =>
    expandVariables(text, (name) => scope[name], { escapeChar, keepUndefined: keepPlatformArgs })

  const globalArgs: Record<string, string> = {}
  const stages: StageModel[] = []
  let current: { model: StageModel; args: Record<string, string>; unset: Set<string> } | undefined

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword()
    const line = instruction.getRange().start.line + 1
    if (keyword === 'FROM') {
      const model = readFrom(instruction as From, stages, globalArgs, path, expand, variants)
      stages.push(model)
      current = { model, args: {}, unset: new Set() }
      continue
    }
    if (!current) {
      if (keyword === 'ARG') {
        declareArgs(instruction as Arg, globalArgs, buildArgs, {}, expand)
        continue
      }
      throw new DockerfileError(`${path}:${line}: ${keyword} comes before the first FROM; only ARG may.`, path, line)
    }
    const { model, args, unset } = current
    model.stage.endLine = instruction.getRange().end.line + 1
    if (keyword === 'ARG') {
      declareArgs(instruction as Arg, args, buildArgs, globalArgs, expand, { ...args, ...model.env })
      for (const property of (instruction as Arg).getProperties()) {
        const name = property.getName()
        if (args[name] === undefined && !PLATFORM_ARGS.has(name)) unset.add(name)
        else unset.delete(name)
      }
    } else if (keyword === 'ENV') {
      for (const property of (instruction as Env).getProperties()) {
        model.env[property.getName()] = expand(property.getValue() ?? '', { ...args, ...model.env })
      }
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      // Read from all the flags: the parser's getFromFlag() sees --from only when it is the sole flag.
      const from = keyword === 'COPY' ? flagValue(instruction as Copy, 'from') : undefined
      if (from) addSource(model, expand(from, { ...globalArgs, ...args }), stages, variants)
      const text = sourceLines.slice(line - 1, instruction.getRange().end.line + 1).join(' ')
      if (text.includes('$')) model.copies.push({ line, text: text.replace(/^\s*\S+\s*/, ''), scope: { ...args, ...model.env } })
    } else if (keyword === 'RUN') {
      const run = instruction as Run
      const variables = { ...args, ...model.env }
      const step: RunStep = {
        line,
        endLine: instruction.getRange().end.line + 1,
        commands: readRunCommands(run, sourceLines),
        cacheMounts: [],
        variables,
        goEnv: { ...model.goEnv },
        unsetArgs: [...unset].filter((name) => variables[name] === undefined)
      }
      for (const flag of run.getFlags()) {
        if (flag.getName().toLowerCase() !== 'mount') continue
        const options = Object.fromEntries(flag.getOptions().map((o) => [o.getName().toLowerCase(), o.getValue() ?? '']))
        if (options.from) addSource(model, expand(options.from, { ...globalArgs, ...args }), stages, variants)
        const target = options.target ?? options.dst ?? options.destination
        if (options.type === 'cache' && target) step.cacheMounts.push(target)
      }
      Object.assign(model.goEnv, goEnvWrites(step.commands))
      model.runs.push(step)
    }
  }

  for (const model of stages) {
    const { line, endLine } = model.stage
    model.source = sourceLines.slice(line - 1, endLine).join('\n')
  }
  if (stages.length === 0) {
    throw new DockerfileError(`${path}: no FROM instruction; a Dockerfile needs at least one build stage.`, path)
  }
  const argOrigins = Object.fromEntries(Object.keys(globalArgs).map((name) => [name, Object.hasOwn(buildArgs, name) ? 'build-arg' : 'default'] as const))
  return { stages, escapeChar, globalArgs, argOrigins }
}

function readFrom(
  from: From,
  stages: StageModel[],
  globalArgs: Record<string, string>,
  path: string,
  expand: (text: string, scope: Record<string, string>) => string,
  variants: Array<Record<string, string>>
): StageModel {
  const line = from.getRange().start.line + 1
  const args = from.getArguments().map((a) => a.getValue())
  const named = args.length === 3 && args[1].toLowerCase() === 'as'
  if (!(args.length === 1 || named)) {
    throw new DockerfileError(`${path}:${line}: FROM takes an image and optionally "AS <name>" (got "${args.join(' ')}").`, path, line)
  }
  const name = named ? args[2] : undefined
  if (name !== undefined && !STAGE_NAME.test(name)) {
    throw new DockerfileError(`${path}:${line}: "${name}" is not a valid stage name (letters, digits, ".", "-", "_"; starting with a letter).`, path, line)
  }
  const duplicate = name && stages.find((s) => s.stage.name?.toLowerCase() === name.toLowerCase())
  if (duplicate) {
    throw new DockerfileError(`${path}:${line}: stage name "${name}" is already used on line ${duplicate.stage.line}.`, path, line)
  }
  const baseImage = expand(args[0], globalArgs)
  if (baseImage.trim() === '') {
    throw new DockerfileError(
      `${path}:${line}: base image "${args[0]}" expands to an empty name; give the ARG a default or pass it as a build-arg.`,
      path,
      line
    )
  }
  const [base, ...others] = resolveStages(stages, baseImage, variants)
  if (!base) checkReference(baseImage, args[0], path, line)
  const platformFlag = from.getPlatformFlag()?.getValue() ?? undefined
  const stage: Stage = {
    index: stages.length,
    ...(name !== undefined && { name }),
    baseImage,
    ...(base && { baseStage: base.stage.index }),
    ...(others.length > 0 && { otherBaseStages: others.map((m) => m.stage.index) }),
    ...(platformFlag !== undefined && { platformFlag: expand(platformFlag, globalArgs) }),
    line,
    endLine: from.getRange().end.line + 1,
    rootImage: base ? base.stage.rootImage : baseImage,
    copiesFrom: [],
    copiesFromImages: []
  }
  const written = { image: args[0], ...(platformFlag !== undefined && { platform: platformFlag }) }
  return { stage, runs: [], source: '', env: { ...(base?.env ?? {}) }, goEnv: { ...(base?.goEnv ?? {}) }, written, copies: [] }
}

/** ARG in global scope or in a stage: a build-arg wins over the default; a stage ARG without default takes the global one. */
function declareArgs(
  arg: Arg,
  into: Record<string, string>,
  buildArgs: Record<string, string>,
  globalArgs: Record<string, string>,
  expand: (text: string, scope: Record<string, string>) => string,
  scope: Record<string, string> = into
): void {
  for (const property of arg.getProperties()) {
    const name = property.getName()
    const declared = property.getValue()
    const value = buildArgs[name] ?? (declared !== null ? expand(declared, scope) : globalArgs[name])
    if (value !== undefined) {
      into[name] = value
      scope[name] = value
    }
  }
}

/** Records a `--from` reference: a stage (by name or index, per platform for names made of platform arguments) or an image. */
function addSource(model: StageModel, reference: string, stages: StageModel[], variants: Array<Record<string, string>>): void {
  const index = /^\d+$/.test(reference) ? stages[Number(reference)] : undefined
  const found = index ? [index] : resolveStages(stages, reference, variants)
  for (const stage of found) {
    if (stage !== model && !model.stage.copiesFrom.includes(stage.stage.index)) model.stage.copiesFrom.push(stage.stage.index)
  }
  if (found.length === 0 && !model.stage.copiesFromImages.includes(reference)) model.stage.copiesFromImages.push(reference)
}

/** The value of a `--name=value` flag of COPY or ADD, whatever other flags stand beside it. */
function flagValue(instruction: Copy, name: string): string | undefined {
  const flag = instruction.getFlags().find((f) => f.getName().toLowerCase() === name)
  return flag?.getValue() ?? undefined
}

/** Stage names are case-insensitive. */
function findStage(stages: StageModel[], reference: string): StageModel | undefined {
  const wanted = reference.toLowerCase()
  return stages.find((s) => s.stage.name?.toLowerCase() === wanted)
}

/**
 * The stages a reference names: itself, or, when it still holds platform arguments (`binary-$TARGETOS`),
 * what it becomes on each platform requested, as BuildKit resolves it per platform; first platform first.
 */
function resolveStages(stages: StageModel[], reference: string, variants: Array<Record<string, string>>): StageModel[] {
  const direct = findStage(stages, reference)
  if (direct) return [direct]
  if (!reference.includes('$')) return []
  const found: StageModel[] = []
  for (const values of variants) {
    const stage = findStage(
      stages,
      expandVariables(reference, (name) => values[name])
    )
    if (stage && !found.includes(stage)) found.push(stage)
  }
  return found
}
