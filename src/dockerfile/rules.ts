/**
 * Advice that can be given from the Dockerfile alone, before a layer is built. Each rule is a
 * pure function of the parsed stages, the target and the platforms asked for.
 */
import type { Finding } from '../types.js'
import { surelyRuns } from './branches.js'
import { packageCaches, toolchainFinalStage } from './cache-rules.js'
import { crossCompileFix } from './fixes.js'
import { imageLibc, type Libc } from './images.js'
import type { RunStep, StageModel } from './parse.js'
import { classifyPlatformFlag, emulatedPlatforms, samePlatform, type StagePlatform } from './platform.js'
import { programName, type ShellCommand } from './shell.js'
import { expandVariables } from './variables.js'

export interface RuleContext {
  path: string
  stages: StageModel[]
  target: StageModel
  /** Indices of the stages whose files reach the target. */
  chain: Set<number>
  platforms: string[]
  nativePlatforms: string[]
}

/** Runs every rule. */
export function adviseOnDockerfile(context: RuleContext): Finding[] {
  return [
    ...cgoOnMusl(context),
    ...emulatedCompile(context),
    ...buildPlatformWithoutTargetArch(context),
    ...packageCaches(context),
    ...toolchainFinalStage(context)
  ]
}

/** `"build"` for a named stage, `#2` otherwise. */
export function stageLabel(model: StageModel): string {
  return model.stage.name !== undefined ? `"${model.stage.name}"` : `#${model.stage.index}`
}

/** The stage and the stages it is built on, nearest first. */
export function lineage(model: StageModel, stages: StageModel[]): StageModel[] {
  const result = [model]
  let current = model
  while (current.stage.baseStage !== undefined) {
    current = stages[current.stage.baseStage]
    result.push(current)
  }
  return result
}

/** A `go build` or `go install` with the environment it runs in. */
interface GoBuild {
  argv: string[]
  env: Record<string, string>
}

/** Finds `go build`/`go install` in a RUN, following `export`, `unset` and `go env -w` through the script. */
export function goBuildsIn(run: RunStep): GoBuild[] {
  const env: Record<string, string> = { ...run.variables }
  const goEnv: Record<string, string> = { ...run.goEnv }
  const expand = (value: string): string => expandVariables(value, (name) => env[name])
  const builds: GoBuild[] = []
  for (const command of run.commands) {
    const { argv } = command
    const program = programName(argv)
    if (argv.length === 0) {
      // A bare assignment changes the environment only for variables already exported.
      for (const [name, value] of Object.entries(command.env)) if (name in env) env[name] = expand(value)
    } else if (program === 'export') {
      for (const word of argv.slice(1)) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(word)
        if (match) env[match[1]] = expand(match[2])
      }
    } else if (program === 'unset') {
      for (const name of argv.slice(1)) delete env[name]
    } else if (program === 'go' && argv[1] === 'env' && argv.includes('-w')) {
      for (const word of argv.slice(2)) {
        const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word)
        if (match) goEnv[match[1]] = expand(match[2])
      }
    } else if (isGoBuild(argv)) {
      const prefix = Object.fromEntries(Object.entries(command.env).map(([k, v]) => [k, expand(v)]))
      builds.push({ argv, env: { ...goEnv, ...env, ...prefix } })
    }
  }
  return builds
}

function isGoBuild(argv: string[]): boolean {
  const program = programName(argv)
  if (program !== 'go' && program !== 'xx-go') return false
  let i = 1
  if (argv[i] === '--wrap') return false
  if (argv[i] === '-C') i += 2
  return argv[i] === 'build' || argv[i] === 'install'
}

/** `make` targets that compile nothing. */
const NON_COMPILING_MAKE = new Set(['clean', 'distclean', 'mrproper', 'help', 'uninstall', 'fmt', 'lint', 'check-format'])

const compilingTarget = (t: string): boolean => !NON_COMPILING_MAKE.has(t) && !/^(dist|mr)?clean([-_].*)?$/.test(t)

/** The targets named on a `make` command line (flags, their values and VAR=value left out). */
function makeTargets(args: string[]): string[] {
  const targets: string[] = []
  for (let k = 0; k < args.length; k++) {
    const w = args[k]
    if (/^-[A-Za-z]*[CfIoj]$/.test(w)) k += 1
    else if (!w.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) targets.push(w)
  }
  return targets
}

/** `make` with no target (the default one) or with a target that is not only cleaning or help. */
function makeCompiles(args: string[]): boolean {
  const targets = makeTargets(args)
  return targets.length === 0 || targets.some(compilingTarget)
}

/** Programs whose work is slow under emulation. */
export function isCompile(command: ShellCommand): boolean {
  const { argv } = command
  const program = programName(argv)
  if (isGoBuild(argv)) return true
  // `go run build.go` compiles (and then runs) the program first.
  if ((program === 'go' || program === 'xx-go') && argv[1] === 'run') return true
  if (program === 'make' || program === 'gmake') return makeCompiles(argv.slice(1))
  if (program === 'cargo') {
    const sub = argv.slice(1).find((w) => !w.startsWith('+') && !w.startsWith('-'))
    return sub === 'build' || sub === 'install'
  }
  return ['rustc', 'cmake', 'ninja'].includes(program) || /^([a-z0-9_]+-)*(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(-\d+(\.\d+)*)?$/.test(program)
}

/** The compile step as the message names it: `go build`, `cargo build`, `make redis-server` (flags and assignments left out). */
function compileLabel(argv: string[]): string {
  const program = programName(argv)
  if (program !== 'make' && program !== 'gmake') return argv.slice(0, 2).join(' ')
  const target = makeTargets(argv.slice(1)).find(compilingTarget)
  return target ? `${argv[0]} ${target}` : argv[0]
}

/** A Go binary linked statically even with cgo on (`-ldflags '-extldflags "-static"'`, directly or through a variable). */
function linksStatically(build: GoBuild): boolean {
  const text = expandVariables(build.argv.join(' '), (name) => build.env[name])
  return /extldflags[\s\S]*-static/.test(text)
}

const LIBC_WORDS: Record<Libc, string> = { glibc: 'glibc', musl: 'musl', none: 'no C library' }

export function cgoOnMusl({ path, stages, target, chain }: RuleContext): Finding[] {
  const targetImage = target.stage.rootImage
  const targetLibc = imageLibc(targetImage)
  if (targetLibc === 'glibc') return []
  const findings: Finding[] = []
  for (const model of stages) {
    if (!chain.has(model.stage.index)) continue
    const builderLibc = imageLibc(model.stage.rootImage)
    if (builderLibc === 'none' || (builderLibc === 'musl' && targetLibc === 'musl')) continue
    for (const run of model.runs) {
      const build = goBuildsIn(run).find((b) => b.env.CGO_ENABLED !== '0' && !linksStatically(b))
      if (!build) continue
      const linked = builderLibc === 'musl' ? 'musl (/lib/ld-musl-*.so.1)' : 'glibc (/lib64/ld-linux-*.so.2)'
      const missing = targetLibc === 'none' ? `${targetImage} has no C library or loader at all` : `${targetImage} has only musl, not glibc's loader`
      findings.push({
        severity: 'warning',
        code: 'cgo-on-musl',
        message:
          `\`${build.argv.slice(0, 2).join(' ')}\` in stage ${stageLabel(model)} (${model.stage.rootImage}) runs with cgo enabled, ` +
          `so the binary links ${linked} dynamically, but ${missing}: it will fail to start with "exec …: no such file or directory".`,
        fix:
          'Set CGO_ENABLED=0 for this build (`ENV CGO_ENABLED=0` in the build stage, or `RUN CGO_ENABLED=0 go build …`) ' +
          'so Go produces a static binary' +
          (targetLibc === 'musl' ? ', or build in a golang:<version>-alpine stage so it links musl.' : '.'),
        evidence:
          `CGO_ENABLED is ${build.env.CGO_ENABLED === undefined ? 'not set' : `"${build.env.CGO_ENABLED}"`} for this RUN; ` +
          `builder ${model.stage.rootImage} provides ${LIBC_WORDS[builderLibc]}, target stage ${stageLabel(target)} ` +
          `runs on ${targetImage} (${LIBC_WORDS[targetLibc]}); files reach it via ${route(model, target, stages)}.`,
        file: path,
        line: run.line,
        endLine: run.endLine
      })
      break
    }
  }
  return findings
}

/** Where a stage's instructions run, and the FROM that decides it. */
function placementOf(model: StageModel, stages: StageModel[]): { placement: StagePlatform; decidedBy: StageModel } {
  const chain = lineage(model, stages)
  const flagged = chain.find((m) => m.stage.platformFlag !== undefined)
  const decidedBy = flagged ?? chain[chain.length - 1]
  return { placement: classifyPlatformFlag(flagged?.stage.platformFlag), decidedBy }
}

function needsGoArm(platforms: string[]): boolean {
  return platforms.some((p) => /\/arm\/v[5-7]$|\/arm$/.test(p.toLowerCase()))
}

export function emulatedCompile({ path, stages, chain, platforms, nativePlatforms }: RuleContext): Finding[] {
  const findings: Finding[] = []
  const reported = new Set<number>()
  for (const model of stages) {
    if (!chain.has(model.stage.index)) continue
    // Only a compile sure to run counts: one in a shell branch decided at build time (`case "$(dpkg --print-architecture)"`) may not.
    const compiling = (r: RunStep): ShellCommand | undefined => r.commands.find((c) => isCompile(c) && surelyRuns(c, r))
    const run = model.runs.find((r) => compiling(r) !== undefined)
    if (!run) continue
    const { placement, decidedBy } = placementOf(model, stages)
    const emulated = emulatedPlatforms(placement, platforms, nativePlatforms)
    if (emulated.length === 0 || reported.has(decidedBy.stage.index)) continue
    reported.add(decidedBy.stage.index)
    const compile = compiling(run)!
    const compiler = compileLabel(compile.argv)
    const goBuilds = goBuildsIn(run)
    const how =
      placement.kind === 'fixed'
        ? `is pinned to ${placement.platform}`
        : decidedBy.stage.platformFlag !== undefined
          ? `runs on $TARGETPLATFORM`
          : 'has no --platform, so it runs on each target platform'
    findings.push({
      severity: 'warning',
      code: 'emulated-compile',
      message:
        `Stage ${stageLabel(model)} compiles (\`${compiler}\`) but ${how}: for ${emulated.join(', ')} it compiles under ` +
        `QEMU emulation, often 10–50 times slower than natively.`,
      fix: crossCompileFix({ model, decidedBy, compile, goBuilds, goArm: needsGoArm(emulated) }),
      evidence: `Native platforms: ${nativePlatforms.join(', ') || 'none known'}; requested: ${platforms.join(', ')}; ` + `compile step on line ${run.line}.`,
      file: path,
      line: decidedBy.stage.line
    })
  }
  return findings
}

export function buildPlatformWithoutTargetArch({ path, stages, target, chain, platforms, nativePlatforms }: RuleContext): Finding[] {
  const buildPlatform = nativePlatforms[0]
  const mismatched = platforms.filter((p) => !buildPlatform || !samePlatform(p, buildPlatform))
  if (mismatched.length === 0) return []
  const findings: Finding[] = []
  for (const model of stages) {
    if (!chain.has(model.stage.index)) continue
    if (placementOf(model, stages).placement.kind !== 'build') continue
    const sources = lineage(model, stages)
      .map((m) => m.source)
      .join('\n')
    if (/\b(TARGETARCH|TARGETPLATFORM|GOARCH)\b|xx-go/.test(sources)) continue
    const run = model.runs.find((r) => goBuildsIn(r).some((b) => b.env.GOARCH === undefined))
    if (!run || onlyFeedsBuildPlatform(model, stages, chain, target)) continue
    findings.push({
      severity: 'warning',
      code: 'buildplatform-without-targetarch',
      message:
        `Stage ${stageLabel(model)} runs on $BUILDPLATFORM but its \`go build\` never sets GOARCH, so every platform ` +
        `gets a binary for the build host${buildPlatform ? ` (${buildPlatform})` : ''}, which will not run on ${mismatched.join(', ')}.`,
      fix:
        'Add `ARG TARGETOS TARGETARCH` to the stage and build with `GOOS=$TARGETOS GOARCH=$TARGETARCH go build …`' +
        (needsGoArm(mismatched) ? ' (and `GOARM=${TARGETVARIANT#v}` with `ARG TARGETVARIANT` for arm/v7).' : '.'),
      file: path,
      line: run.line,
      endLine: run.endLine
    })
  }
  return findings
}

/** How files get from one stage to another, e.g. `"build" → COPY --from → #1`. */
function route(from: StageModel, to: StageModel, stages: StageModel[]): string {
  const previous = new Map<number, { index: number; via: string }>()
  const queue = [to.stage.index]
  const seen = new Set(queue)
  while (queue.length > 0) {
    const index = queue.shift()!
    if (index === from.stage.index) break
    const { stage } = stages[index]
    const edges: Array<[number, string]> = [
      ...[stage.baseStage, ...(stage.otherBaseStages ?? [])].flatMap((i): Array<[number, string]> => (i !== undefined ? [[i, 'FROM']] : [])),
      ...stage.copiesFrom.map((i): [number, string] => [i, 'COPY --from'])
    ]
    for (const [next, via] of edges) {
      if (seen.has(next)) continue
      seen.add(next)
      previous.set(next, { index, via })
      queue.push(next)
    }
  }
  const parts = [stageLabel(from)]
  let index = from.stage.index
  while (index !== to.stage.index) {
    const step = previous.get(index)
    if (!step) break
    parts.push(step.via, stageLabel(stages[step.index]))
    index = step.index
  }
  return parts.join(' → ')
}

/**
 * A host tool: every stage of the chain that takes files from `model` (COPY --from, RUN --mount, FROM)
 * runs on $BUILDPLATFORM too, so a binary for the build machine is what they need.
 */
function onlyFeedsBuildPlatform(model: StageModel, stages: StageModel[], chain: Set<number>, target: StageModel): boolean {
  const users = new Set<StageModel>()
  const seen = new Set<number>()
  const visit = (from: StageModel): void => {
    if (seen.has(from.stage.index)) return
    seen.add(from.stage.index)
    const index = from.stage.index
    for (const m of stages) {
      if (m === from || !chain.has(m.stage.index)) continue
      const reads = m.stage.copiesFrom.includes(index) || m.stage.baseStage === index || (m.stage.otherBaseStages ?? []).includes(index)
      if (!reads) continue
      // A stage that only carries files (no RUN, not the target) passes them on: look at who reads it.
      if (m.runs.length === 0 && m !== target) visit(m)
      else users.add(m)
    }
  }
  visit(model)
  return users.size > 0 && [...users].every((m) => placementOf(m, stages).placement.kind === 'build')
}
