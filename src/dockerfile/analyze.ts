/** The Dockerfile, read before anything is built: its stages, the target, and what to change. */
import type { Finding } from '../types.js'
import { DockerfileError } from './errors.js'
import { withoutIgnored } from './ignore.js'
import { parseDockerfile, type Stage, type StageModel } from './parse.js'
import { adviseOnArgs } from './args-rules.js'
import { adviseOnDockerfile } from './rules.js'

export interface DockerfileInput {
  /** Path of the Dockerfile, as findings and errors name it. */
  path: string
  content: string
  /** Stage to build; the last stage when absent. */
  target?: string
  /** Platforms requested (`linux/amd64`, `linux/arm64`, …). */
  platforms: string[]
  /** Platforms the builder runs without emulation; the first is its own platform. */
  nativePlatforms: string[]
  /** `--build-arg` values; they override ARG defaults. */
  buildArgs: Record<string, string>
  /** Finding codes not to report (`ignore-advice`); `# smokestack-ignore:` comments in the file apply too. */
  ignore?: readonly string[]
}

export interface DockerfileAnalysis {
  stages: Stage[]
  /** The stage that is built and shipped. */
  targetStage: Stage
  /** The last stage of the file. */
  finalStage: Stage
  /** Stages whose files reach the target (by FROM <stage>, COPY --from or RUN --mount=from), the target included, in file order. */
  chain: Stage[]
  findings: Finding[]
}

/** Parses the Dockerfile, checks the target, and gives the advice visible before building. Throws DockerfileError. */
export function analyzeDockerfile(input: DockerfileInput): DockerfileAnalysis {
  const parsed = parseDockerfile(input.path, input.content, input.buildArgs, {
    targets: input.platforms,
    ...(input.nativePlatforms[0] !== undefined && { build: input.nativePlatforms[0] })
  })
  const { stages } = parsed
  const target = selectTarget(stages, input.target, input.path)
  const chain = stagesReaching(target, stages)
  const context = { path: input.path, stages, target, chain, platforms: input.platforms, nativePlatforms: input.nativePlatforms }
  const findings = withoutIgnored([...adviseOnDockerfile(context), ...adviseOnArgs(context, parsed)], input.content, input.ignore, input.path)
  return {
    stages: stages.map((m) => m.stage),
    targetStage: target.stage,
    finalStage: stages[stages.length - 1].stage,
    chain: stages.filter((m) => chain.has(m.stage.index)).map((m) => m.stage),
    findings
  }
}

function selectTarget(stages: StageModel[], target: string | undefined, path: string): StageModel {
  if (target === undefined || target.trim() === '') return stages[stages.length - 1]
  const wanted = target.trim().toLowerCase()
  const found = stages.find((m) => m.stage.name?.toLowerCase() === wanted)
  if (found) return found
  const names = stages.flatMap((m) => (m.stage.name !== undefined ? [m.stage.name] : []))
  const suggestion = closestName(target, names)
  throw new DockerfileError(
    `Input "target": no stage named "${target}" in ${path} ` +
      `(${names.length > 0 ? `stages: ${names.join(', ')}` : 'no stage has a name; add "AS <name>" to a FROM'}).` +
      (suggestion ? ` Did you mean "${suggestion}"?` : ''),
    path,
    undefined,
    'target'
  )
}

/** Indices of the stages whose files end up in `target`, following FROM <stage>, COPY --from and RUN --mount=from. */
function stagesReaching(target: StageModel, stages: StageModel[]): Set<number> {
  const reached = new Set<number>()
  const pending = [target.stage.index]
  while (pending.length > 0) {
    const index = pending.pop()!
    if (reached.has(index)) continue
    reached.add(index)
    const { stage } = stages[index]
    if (stage.baseStage !== undefined) pending.push(stage.baseStage)
    pending.push(...(stage.otherBaseStages ?? []), ...stage.copiesFrom)
  }
  return reached
}

/** The name within a small edit distance of `input`, if any. */
export function closestName(input: string, names: string[]): string | undefined {
  const wanted = input.toLowerCase()
  let best: { name: string; distance: number } | undefined
  for (const name of names) {
    const distance = editDistance(wanted, name.toLowerCase())
    if (!best || distance < best.distance) best = { name, distance }
  }
  const limit = Math.max(2, Math.floor(input.length / 3))
  return best && best.distance <= limit ? best.name : undefined
}

/** Damerau–Levenshtein distance (optimal string alignment): a swap of neighbours counts once. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}
