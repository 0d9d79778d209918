/** The stages as rows for a summary, independent of how they are rendered. */
import type { DockerfileAnalysis } from './analyze.js'

export interface StageRow {
  index: number
  /** The stage name, or `#<index>`. */
  label: string
  /** Base image, or `stage <name>` for FROM <stage>. */
  base: string
  platform?: string
  line: number
  /** `target`: built and shipped; `used`: its files reach the target; `unused`: not built for this target. */
  role: 'target' | 'used' | 'unused'
}

export function stageRows(analysis: DockerfileAnalysis): StageRow[] {
  const used = new Set(analysis.chain.map((s) => s.index))
  return analysis.stages.map((stage) => ({
    index: stage.index,
    label: stage.name ?? `#${stage.index}`,
    base: stage.baseStage !== undefined ? `stage ${stage.baseImage}` : stage.baseImage,
    ...(stage.platformFlag !== undefined && { platform: stage.platformFlag }),
    line: stage.line,
    role: stage.index === analysis.targetStage.index ? 'target' : used.has(stage.index) ? 'used' : 'unused'
  }))
}
