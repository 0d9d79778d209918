/**
 * The merge action's front end (merge/action.yml): reads its inputs from the runner, merges, then writes the
 * outputs, the annotations and one job summary for all platforms, the same renderings as a single run's, and
 * fails the step when the merge was blocked or publishing failed.
 */
import * as core from '@actions/core'
import { engineInsecureRegistries, merge, stopTagsOnSignal } from '../merge/index.js'
import { parseMergeInputs } from '../merge/inputs.js'
import { mergeFailure } from '../merge/report.js'
import { annotationsOf } from '../report/annotations.js'
import { computeOutputs } from '../report/outputs.js'
import { printable } from '../report/quote.js'
import { renderSummary } from '../report/summary.js'
import { verdictLine } from '../report/model.js'
import { messageOf } from '../errors.js'

export async function runMerge(vars: NodeJS.ProcessEnv = process.env): Promise<void> {
  const workspace = vars.GITHUB_WORKSPACE ?? process.cwd()
  const stopListening = stopTagsOnSignal((line) => core.error(line))
  try {
    const inputs = parseMergeInputs((name) => core.getInput(name), workspace, vars)
    const report = await merge(inputs, { registryConfig: await engineInsecureRegistries(), say: (line) => core.info(printable(line)) })
    for (const [name, value] of Object.entries(computeOutputs(report))) if (name !== 'cache-hit' && name !== 'size-delta') core.setOutput(name, value)
    for (const a of annotationsOf(report, workspace)) {
      if (a.level === 'error') core.error(a.message, a.props)
      else if (a.level === 'warning') core.warning(a.message, a.props)
    }
    if (vars.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderSummary(report, 'smokestack merge')).write()
    const failure = mergeFailure(report)
    if (failure) core.setFailed(printable(failure))
    else core.info(printable(verdictLine(report)))
  } catch (e) {
    core.setFailed(printable(messageOf(e)))
  } finally {
    stopListening()
  }
}
