#!/usr/bin/env node
/**
 * smokestack on the command line: the same pipeline as the action, on the current directory,
 * with live progress on stderr and the results table (or --json) on stdout.
 *
 *   smokestack examples/cross-compile --platform linux/amd64,linux/arm64
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as os from 'node:os'
import { InputError, parseInputs, type Inputs } from './context.js'
import { Tracker, removeLeftovers } from './cleanup.js'
import { cancelCommands, observeCommands } from './docker/exec.js'
import { DockerfileError } from './dockerfile/index.js'
import { EnvironmentError } from './docker/engine.js'
import { renderJunit } from './report/junit.js'
import { exitWhenFlushed } from './exit.js'
import { version } from './version.js'
import { emitRecords } from './record/record.js'
import { pipeline, type PipelineResult, type RunEnv } from './pipeline/index.js'
import { buildReport } from './report/model.js'
import { runDocument } from './report/outputs.js'
import { inputSource, parseCommandLine, usage, UsageError, type CommandLine } from './cli/args.js'
import { lintMain } from './cli/lint.js'
import { mergeMain } from './cli/merge.js'
import { Progress } from './cli/progress.js'
import { CliReporter } from './cli/reporter.js'
import { painter, renderReport, useColor } from './cli/render.js'

/** Log lines shown after a failure (without --verbose). */
const TAIL_LINES = 30

function say(text: string): void {
  process.stderr.write(`${text}\n`)
}

/** Runs the command; resolves to the exit status: 0 all passed, 1 a failure, 2 a bad option or value. */
async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'lint') return lintMain(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env })
  if (argv[0] === 'merge') return mergeMain(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env })
  let commandLine: CommandLine
  let inputs: Inputs
  try {
    commandLine = parseCommandLine(argv)
    if (commandLine.help) {
      process.stdout.write(usage(version()))
      return 0
    }
    if (commandLine.version) {
      process.stdout.write(`${version()}\n`)
      return 0
    }
    inputs = parseInputs(inputSource(commandLine.inputs), process.cwd())
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) {
      say(`smokestack: ${e.message}`)
      say('Run smokestack --help for the options.')
      // --json promises a document, even when the run could not start.
      if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ passed: false, error: e.message }, null, 2)}\n`)
      return 2
    }
    throw e
  }

  const { json, verbose } = commandLine
  const errPaint = painter(useColor(process.stderr.isTTY, process.env))
  const sizeGated = inputs.maxSize !== undefined || inputs.maxGrowth !== undefined
  const progress = new Progress(process.stderr, process.stderr.isTTY === true && !verbose, errPaint)
  const reporter = new CliReporter(progress, say, { verbose, paint: errPaint, sizeGated })
  const tracker = new Tracker()
  observeCommands((line) => reporter.debug(line))

  // One cleanup, shared by the normal end and an interruption.
  let cleanup: Promise<string[]> | undefined
  const cleanUp = (): Promise<string[]> => (cleanup ??= removeLeftovers(tracker.items))
  let cancelled: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancelled) return
    cancelled = signal
    progress.stop()
    say(`smokestack: cancelled (${signal}); removing containers, temporary tags and directories`)
    void cancelCommands()
      .then(cleanUp)
      .finally(() => exitWhenFlushed(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const env: RunEnv = {
    workspace: process.cwd(),
    tempRoot: os.tmpdir(),
    runId: randomBytes(4).toString('hex'),
    inActions: false,
    vars: process.env,
    resources: tracker
  }
  let result: PipelineResult | undefined
  let failure: unknown
  let problems: string[] = []
  try {
    result = await pipeline(inputs, env, reporter)
  } catch (e) {
    failure = e
  } finally {
    if (!cancelled) progress.step('Cleaning up')
    problems = await cleanUp()
    progress.stop()
    observeCommands(undefined)
  }
  // Interrupted: the signal handler ends the process once the cleanup is done; print nothing more.
  if (cancelled) return 130
  process.removeListener('SIGINT', onSignal)
  process.removeListener('SIGTERM', onSignal)
  for (const p of problems) say(`smokestack: could not remove ${p}`)

  const showTail = (): void => {
    if (verbose) return
    const tail = reporter.tail(TAIL_LINES)
    if (tail.length) say([errPaint('dim', 'Last lines of the log (--verbose shows all):'), ...tail.map((l) => `  ${l}`)].join('\n'))
  }

  if (!result) {
    showTail()
    const message = reporter.redact(failure instanceof Error ? failure.message : String(failure))
    if (failure instanceof DockerfileError) say(`smokestack: ${failure.file}${failure.line ? `:${failure.line}` : ''}: ${message}`)
    else say(`smokestack: ${message}`)
    const emitted = emitRecords(inputs, { error: message }, { version: version(), vars: process.env })
    if (emitted?.files.length) say(`smokestack: records written: ${emitted.files.join(', ')}`)
    if (json) process.stdout.write(`${JSON.stringify({ passed: false, error: message }, null, 2)}\n`)
    return failure instanceof InputError ? 2 : failure instanceof EnvironmentError ? 3 : 1
  }

  const report = buildReport(result, { sizeGated })
  if (!report.passed) showTail()
  if (commandLine.junit) fs.writeFileSync(path.resolve(commandLine.junit), reporter.redact(renderJunit(report)))
  const emitted = emitRecords(inputs, { report }, { version: version(), vars: process.env })
  if (emitted?.files.length) say(`smokestack: records written: ${emitted.files.join(', ')}`)
  if (json) process.stdout.write(`${reporter.redact(JSON.stringify(runDocument(report), null, 2))}\n`)
  else process.stdout.write(reporter.redact(renderReport(report, painter(useColor(process.stdout.isTTY, process.env)))))
  return report.passed ? 0 : 1
}

main(process.argv.slice(2)).then(
  (status) => exitWhenFlushed(status),
  (e: unknown) => {
    say(`smokestack: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    return exitWhenFlushed(1)
  }
)
