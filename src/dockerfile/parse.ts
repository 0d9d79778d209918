/**
 * Reads a Dockerfile into build stages: base images after ARG substitution, the stages each one
 * reads files from, and its RUN steps as shell commands with the variables in effect.
 */
import { DockerfileParser, type Run, type From, type Copy, type Arg, type Env } from 'dockerfile-ast'
import { DockerfileError } from './errors.js'
import { parseShellCommands, commandsFromWords, type ShellCommand } from './shell.js'
import { expandVariables } from './variables.js'

/** One build stage, as the summary shows it. */
export interface Stage {
  /** Position among the stages, from 0 (what `COPY --from=<index>` refers to). */
  index: number
  /** The `AS` name, as written. */
  name?: string
  /** Base image after ARG substitution (`golang:1.15`, `scratch`), or the stage name for `FROM <stage>`. */
  baseImage: string
  /** Index of the stage this one is built on (`FROM <stage>`). */
  baseStage?: number
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
}

export interface ParsedDockerfile {
  stages: StageModel[]
  escapeChar: string
}

/** Arguments BuildKit defines per platform; left as written when not given. */
export const PLATFORM_ARGS = new Set([
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT',
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT'
])
const keepPlatformArgs = (name: string): boolean => PLATFORM_ARGS.has(name)
const STAGE_NAME = /^[a-z][a-z0-9._-]*$/i

/** Parses `content` (the Dockerfile at `path`); throws DockerfileError when it cannot be built. */
export function parseDockerfile(path: string, content: string, buildArgs: Record<string, string>): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(content)
  const escapeChar = dockerfile.getEscapeCharacter()
  const sourceLines = content.split(/\r?\n/)
  const expand = (text: string, scope: Record<string, string>): string =>
    expandVariables(text, (name) => scope[name], { escapeChar, keepUndefined: keepPlatformArgs })

  const globalArgs: Record<string, string> = {}
  const stages: StageModel[] = []
  let current: { model: StageModel; args: Record<string, string> } | undefined

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword()
    const line = instruction.getRange().start.line + 1
    if (keyword === 'FROM') {
      const model = readFrom(instruction as From, stages, globalArgs, path, expand)
      stages.push(model)
      current = { model, args: {} }
      continue
    }
    if (!current) {
      if (keyword === 'ARG') {
        declareArgs(instruction as Arg, globalArgs, buildArgs, {}, expand)
        continue
      }
      throw new DockerfileError(`${path}:${line}: ${keyword} comes before the first FROM; only ARG may.`, path, line)
    }
    const { model, args } = current
    model.stage.endLine = instruction.getRange().end.line + 1
    if (keyword === 'ARG') {
      declareArgs(instruction as Arg, args, buildArgs, globalArgs, expand, { ...args, ...model.env })
    } else if (keyword === 'ENV') {
      for (const property of (instruction as Env).getProperties()) {
        model.env[property.getName()] = expand(property.getValue() ?? '', { ...args, ...model.env })
      }
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const from = keyword === 'COPY' ? (instruction as Copy).getFromFlag()?.getValue() : undefined
      if (from) addSource(model, expand(from, { ...globalArgs, ...args }), stages)
    } else if (keyword === 'RUN') {
      const run = instruction as Run
      const variables = { ...args, ...model.env }
      const step: RunStep = {
        line,
        endLine: instruction.getRange().end.line + 1,
        commands: readRunCommands(run, sourceLines),
        cacheMounts: [],
        variables,
        goEnv: { ...model.goEnv }
      }
      for (const flag of run.getFlags()) {
        if (flag.getName().toLowerCase() !== 'mount') continue
        const options = Object.fromEntries(flag.getOptions().map((o) => [o.getName().toLowerCase(), o.getValue() ?? '']))
        if (options.from) addSource(model, expand(options.from, { ...globalArgs, ...args }), stages)
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
  return { stages, escapeChar }
}

function readFrom(
  from: From,
  stages: StageModel[],
  globalArgs: Record<string, string>,
  path: string,
  expand: (text: string, scope: Record<string, string>) => string
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
  const base = findStage(stages, baseImage)
  const platformFlag = from.getPlatformFlag()?.getValue() ?? undefined
  const stage: Stage = {
    index: stages.length,
    ...(name !== undefined && { name }),
    baseImage,
    ...(base && { baseStage: base.stage.index }),
    ...(platformFlag !== undefined && { platformFlag: expand(platformFlag, globalArgs) }),
    line,
    endLine: from.getRange().end.line + 1,
    rootImage: base ? base.stage.rootImage : baseImage,
    copiesFrom: [],
    copiesFromImages: []
  }
  return { stage, runs: [], source: '', env: { ...(base?.env ?? {}) }, goEnv: { ...(base?.goEnv ?? {}) } }
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

/** Records a `--from` reference: a stage (by name or index) or an image. */
function addSource(model: StageModel, reference: string, stages: StageModel[]): void {
  const stage = findStage(stages, reference) ?? (/^\d+$/.test(reference) ? stages[Number(reference)] : undefined)
  if (stage && stage !== model) {
    if (!model.stage.copiesFrom.includes(stage.stage.index)) model.stage.copiesFrom.push(stage.stage.index)
  } else if (!stage && !model.stage.copiesFromImages.includes(reference)) {
    model.stage.copiesFromImages.push(reference)
  }
}

/** Stage names are case-insensitive. */
function findStage(stages: StageModel[], reference: string): StageModel | undefined {
  const wanted = reference.toLowerCase()
  return stages.find((s) => s.stage.name?.toLowerCase() === wanted)
}

const HEREDOC_START = /<<-?\s*(["']?)[A-Za-z0-9_.-]+\1/g
const SHELL_PROGRAMS = /^(\/bin\/|\/usr\/bin\/)?(sh|bash|ash|dash|zsh)$/

/** The commands of a RUN: exec form, shell form with continuations, or a heredoc script. */
export function readRunCommands(run: Run, sourceLines: string[]): ShellCommand[] {
  const json = run.getJSONStrings()
  if (json.length > 0 && run.getRawArgumentsContent()?.trim().startsWith('[')) {
    return commandsFromWords(json.map((s) => s.getJSONValue()))
  }
  const args = run.getArguments()
  const heredocs = run.getHeredocs()
  if (heredocs.length === 0) return parseShellCommands(args.map((a) => a.getValue()).join(' '))

  const bodyStart = Math.min(...heredocs.map((h) => (h.getContentRange() ?? h.getNameRange()).start.line))
  const head = args
    .filter((a) => a.getRange().start.line < bodyStart)
    .map((a) => a.getValue())
    .join(' ')
    .replace(HEREDOC_START, ' ')
    .trim()
  const headWords = head.split(/\s+/).filter(Boolean)
  const isScript = headWords.length === 0 || (SHELL_PROGRAMS.test(headWords[0]) && !headWords.includes('-c'))
  if (!isScript) return parseShellCommands(head)
  const script = heredocs
    .map((h) => {
      const range = h.getContentRange()
      return range ? sourceLines.slice(range.start.line, range.end.line + 1).join('\n') : ''
    })
    .join('\n')
  return parseShellCommands(script)
}

/** `go env -w NAME=value` persists across RUNs. */
function goEnvWrites(commands: ShellCommand[]): Record<string, string> {
  const writes: Record<string, string> = {}
  for (const { argv } of commands) {
    const program = argv[0]?.slice(argv[0].lastIndexOf('/') + 1)
    if (program !== 'go' || argv[1] !== 'env' || !argv.includes('-w')) continue
    for (const word of argv.slice(2)) {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word)
      if (match) writes[match[1]] = match[2]
    }
  }
  return writes
}
