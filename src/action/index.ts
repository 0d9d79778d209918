/**
 * run(): the Actions front end. Reads the inputs from the runner, runs the pipeline with a reporter on
 * @actions/core, then writes the outputs, the annotations and the job summary, and fails the step when a
 * platform failed. The only place that calls setFailed.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as core from '@actions/core'
import { parseInputs, type Inputs } from '../context.js'
import { STATE_KEY, Tracker, cancelRun } from '../cleanup.js'
import { observeCommands } from '../docker/exec.js'
import { pipeline } from '../pipeline/index.js'
import type { RunEnv } from '../pipeline/reporter.js'
import { annotationsOf } from '../report/annotations.js'
import { buildReport } from '../report/model.js'
import { computeOutputs } from '../report/outputs.js'
import { renderSummary } from '../report/summary.js'
import { exitWhenFlushed } from '../exit.js'
import { emitRecords } from '../record/record.js'
import { version } from '../version.js'
import { actionsCacheStore } from './cache-store.js'
import { ActionsReporter } from './reporter.js'
import { messageOf } from '../errors.js'

export interface RunOptions {
  /** Reads an input; defaults to the Actions runner's INPUT_* variables. */
  input?: (name: string) => string
  workspace?: string
  /** The environment; defaults to process.env. */
  vars?: NodeJS.ProcessEnv
}

function newRunId(vars: NodeJS.ProcessEnv): string {
  const parts = [vars.GITHUB_RUN_ID, vars.GITHUB_RUN_ATTEMPT].filter(Boolean)
  return [...parts, randomBytes(4).toString('hex')].join('-')
}

function sizeGated(inputs: Inputs): boolean {
  return inputs.maxSize !== undefined || inputs.maxGrowth !== undefined
}

export async function run(options: RunOptions = {}): Promise<void> {
  const vars = options.vars ?? process.env
  const workspace = options.workspace ?? vars.GITHUB_WORKSPACE ?? process.cwd()
  const tracker = new Tracker((l) => core.saveState(STATE_KEY, JSON.stringify(l)))
  const reporter = new ActionsReporter(workspace)
  const onSignal = (signal: NodeJS.Signals): void => {
    core.error(`Cancelled (${signal}); cleaning up`)
    void cancelRun(tracker.items).finally(() => exitWhenFlushed(1))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  observeCommands((line) => reporter.debug(line))
  let inputs: Inputs | undefined
  const records = (outcome: Parameters<typeof emitRecords>[1]): void => {
    const emitted = inputs ? emitRecords(inputs, outcome, { version: version(), vars }) : undefined
    if (!emitted) return
    core.setOutput('record', JSON.stringify(emitted.records))
    if (emitted.files.length) core.info(`Records written: ${emitted.files.join(', ')}`)
  }
  try {
    inputs = parseInputs(options.input ?? ((name) => core.getInput(name)), workspace)
    const tempRoot = vars.RUNNER_TEMP || os.tmpdir()
    // The cache library's own temporary files go here, and are removed with it.
    const scratch = fs.mkdtempSync(path.join(tempRoot, 'smokestack-scratch-'))
    tracker.add('dirs', scratch)
    const env: RunEnv = {
      workspace,
      tempRoot,
      runId: newRunId(vars),
      inActions: vars.GITHUB_ACTIONS === 'true',
      cacheStore: actionsCacheStore(scratch),
      vars,
      resources: tracker
    }
    const result = await pipeline(inputs, env, reporter)
    reporter.flush(true)
    const report = buildReport(result, { sizeGated: sizeGated(inputs) })
    for (const [name, value] of Object.entries(computeOutputs(report))) core.setOutput(name, value)
    records({ report })
    for (const a of annotationsOf({ ...report, advice: [] }, workspace)) {
      if (a.level === 'error') core.error(a.message, a.props)
      else if (a.level === 'warning') core.warning(a.message, a.props)
      else core.notice(a.message, a.props)
    }
    if (vars.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderSummary(report)).write()
    const failed = report.platforms.filter((p) => p.status === 'failed')
    if (failed.length) core.setFailed(`${failed.length} of ${report.platforms.length} platform(s) failed: ${failed.map((p) => p.platform).join(', ')}`)
    else if (report.publish && !report.publish.ok) core.setFailed(`Publishing failed: ${report.publish.error}`)
  } catch (e) {
    reporter.flush(true)
    try {
      records({ error: messageOf(e) })
    } catch (recordError) {
      core.warning(`The failed run's records could not be written: ${messageOf(recordError)}`)
    }
    // Bad input and an unusable Dockerfile carry messages written for the user, as does every other failure here.
    core.setFailed(messageOf(e))
  } finally {
    observeCommands(undefined)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}
