/**
 * Advice that can be given from the Dockerfile alone, before a layer is built. Each rule is a
 * pure function of the parsed stages, the target and the platforms asked for.
 */
import type { Finding } from '../types.js'
import { imageLibc, isToolchainImage, type Libc } from './images.js'
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

/** Programs whose work is slow under emulation. */
function isCompile(command: ShellCommand): boolean {
  const { argv } = command
  const program = programName(argv)
  if (isGoBuild(argv)) return true
  if (program === 'cargo') {
    const sub = argv.slice(1).find((w) => !w.startsWith('+') && !w.startsWith('-'))
    return sub === 'build' || sub === 'install'
  }
  return (
    ['rustc', 'make', 'cmake'].includes(program) ||
    /^([a-z0-9_]+-)*(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(-\d+(\.\d+)*)?$/.test(program)
  )
}

/** A Go binary linked statically even with cgo on (`-ldflags '-extldflags "-static"'`). */
function linksStatically(argv: string[]): boolean {
  return /extldflags[\s\S]*-static/.test(argv.join(' '))
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
      const build = goBuildsIn(run).find((b) => b.env.CGO_ENABLED !== '0' && !linksStatically(b.argv))
      if (!build) continue
      const linked = builderLibc === 'musl' ? 'musl (/lib/ld-musl-*.so.1)' : 'glibc (/lib64/ld-linux-*.so.2)'
      const missing =
        targetLibc === 'none'
          ? `${targetImage} has no C library or loader at all`
          : `${targetImage} has only musl, not glibc's loader`
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
    const run = model.runs.find((r) => r.commands.some(isCompile))
    if (!run) continue
    const { placement, decidedBy } = placementOf(model, stages)
    const emulated = emulatedPlatforms(placement, platforms, nativePlatforms)
    if (emulated.length === 0 || reported.has(decidedBy.stage.index)) continue
    reported.add(decidedBy.stage.index)
    const compiler = run.commands.find(isCompile)!.argv.slice(0, 2).join(' ')
    const isGo = goBuildsIn(run).length > 0
    const goArm = needsGoArm(emulated) ? ' GOARM=${TARGETVARIANT#v}' : ''
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
      fix: isGo
        ? `Compile on the builder's own platform and cross-compile: \`FROM --platform=$BUILDPLATFORM ${decidedBy.stage.baseImage}\`, ` +
          `then \`ARG TARGETOS TARGETARCH${goArm ? ' TARGETVARIANT' : ''}\` and ` +
          `\`RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH${goArm} go build …\`.`
        : `Compile on \`FROM --platform=$BUILDPLATFORM ${decidedBy.stage.baseImage}\` with a cross compiler for $TARGETARCH ` +
          '(e.g. gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf, or `cargo build --target <triple>`), ' +
          'so that only the final stage runs per platform.',
      evidence:
        `Native platforms: ${nativePlatforms.join(', ') || 'none known'}; requested: ${platforms.join(', ')}; ` +
        `compile step on line ${run.line}.`,
      file: path,
      line: decidedBy.stage.line
    })
  }
  return findings
}

export function buildPlatformWithoutTargetArch({ path, stages, chain, platforms, nativePlatforms }: RuleContext): Finding[] {
  const buildPlatform = nativePlatforms[0]
  const mismatched = platforms.filter((p) => !buildPlatform || !samePlatform(p, buildPlatform))
  if (mismatched.length === 0) return []
  const findings: Finding[] = []
  for (const model of stages) {
    if (!chain.has(model.stage.index)) continue
    if (placementOf(model, stages).placement.kind !== 'build') continue
    const sources = lineage(model, stages).map((m) => m.source).join('\n')
    if (/\b(TARGETARCH|TARGETPLATFORM|GOARCH)\b|xx-go/.test(sources)) continue
    const run = model.runs.find((r) => goBuildsIn(r).some((b) => b.env.GOARCH === undefined))
    if (!run) continue
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
      const apk = run.commands.find((c) => programName(c.argv) === 'apk' && c.argv.includes('add'))
      if (apk && !apk.argv.includes('--no-cache') && !removes(run, '/var/cache/apk') && !cacheMounted(run, '/var/cache/apk')) {
        findings.push({
          severity: 'warning',
          code: 'apk-cache',
          message: `\`apk add\` without --no-cache leaves the package index in /var/cache/apk of the shipped stage ${stageLabel(model)}.`,
          fix: 'Use `apk add --no-cache …` (it also makes `apk update` unnecessary).',
          file: path,
          line: run.line,
          endLine: run.endLine
        })
      }
      const apt = run.commands.find((c) => ['apt-get', 'apt'].includes(programName(c.argv)) && c.argv.includes('install'))
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

export function toolchainFinalStage({ path, stages, target }: RuleContext): Finding[] {
  const image = target.stage.rootImage
  if (!isToolchainImage(image)) return []
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
      ...(stage.baseStage !== undefined ? [[stage.baseStage, 'FROM'] as [number, string]] : []),
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
