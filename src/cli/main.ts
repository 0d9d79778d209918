/**
 * The command line's main: parses the arguments, runs the pipeline with live progress on stderr, prints the
 * results table (or --json) on stdout, removes what the run made, and returns the exit status. It reads and
 * writes only through `io`, so it runs the same in the process (src/cli.ts) and in a test.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError, parseInputs, type Inputs } from '../context.js'
import { Tracker, removeLeftovers } from '../cleanup.js'
import { cancelCommands, observeCommands } from '../docker/exec.js'
import { DockerfileError } from '../dockerfile/index.js'
import { EnvironmentError } from '../docker/engine.js'
import { renderJunit } from '../report/junit.js'
import { exitWhenFlushed } from '../exit.js'
import { version } from '../version.js'
import { emitRecords } from '../record/record.js'
import { pipeline, type PipelineResult, type RunEnv } from '../pipeline/index.js'
import { buildReport } from '../report/model.js'
import { runDocument } from '../report/outputs.js'
import { inputSource, parseCommandLine, usage, UsageError, type CommandLine } from './args.js'
import { lintMain, type LintIo } from './lint.js'
import { mergeMain } from './merge.js'
import { Progress } from './progress.js'
import { CliReporter } from './reporter.js'
import { painter, renderReport, useColor } from './render.js'
import { messageOf } from '../errors.js'

/** Log lines shown after a failure (without --verbose). */
const TAIL_LINES = 30

/** Where the command reads and writes: the process's own streams, directory and environment, or a test's. */
export interface CliIo extends LintIo {
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  /** Where the run's temporary directory goes; default the system's. */
  tempRoot?: string
}

/** Runs the command; resolves to the exit status: 0 all passed, 1 a failure, 2 a bad option or value, 3 no engine or buildx. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (text: string): void => void io.stderr.write(`${text}\n`)
  if (argv[0] === 'lint') return lintMain(argv.slice(1), io)
  if (argv[0] === 'merge') return mergeMain(argv.slice(1), io)
  let commandLine: CommandLine
  let inputs: Inputs
  try {
    commandLine = parseCommandLine(argv)
    if (commandLine.help) {
      io.stdout.write(usage(version()))
      return 0
    }
    if (commandLine.version) {
      io.stdout.write(`${version()}\n`)
      return 0
    }
    inputs = parseInputs(inputSource(commandLine.inputs), io.cwd)
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) {
      say(`smokestack: ${e.message}`)
      say('Run smokestack --help for the options.')
      // --json promises a document, even when the run could not start.
      if (argv.includes('--json')) io.stdout.write(`${JSON.stringify({ passed: false, error: e.message }, null, 2)}\n`)
      return 2
    }
    throw e
  }

  const { json, verbose } = commandLine
  const errPaint = painter(useColor(io.stderr.isTTY, io.env))
  const sizeGated = inputs.maxSize !== undefined || inputs.maxGrowth !== undefined
  const progress = new Progress(io.stderr, io.stderr.isTTY === true && !verbose, errPaint)
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
    workspace: io.cwd,
    tempRoot: io.tempRoot ?? os.tmpdir(),
    runId: randomBytes(4).toString('hex'),
    inActions: false,
    vars: io.env,
    resources: tracker
  }
  let result: PipelineResult | undefined
  let failure: unknown
  let problems: string[]
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
    const message = reporter.redact(messageOf(failure))
    if (failure instanceof DockerfileError) say(`smokestack: ${failure.file}${failure.line ? `:${failure.line}` : ''}: ${message}`)
    else say(`smokestack: ${message}`)
    const emitted = emitRecords(inputs, { error: message }, { version: version(), vars: io.env })
    if (emitted?.files.length) say(`smokestack: records written: ${emitted.files.join(', ')}`)
    if (json) io.stdout.write(`${JSON.stringify({ passed: false, error: message }, null, 2)}\n`)
    return failure instanceof InputError ? 2 : failure instanceof EnvironmentError ? 3 : 1
  }

  const report = buildReport(result, { sizeGated })
  if (!report.passed) showTail()
  if (commandLine.junit) fs.writeFileSync(path.resolve(io.cwd, commandLine.junit), reporter.redact(renderJunit(report)))
  const emitted = emitRecords(inputs, { report }, { version: version(), vars: io.env })
  if (emitted?.files.length) say(`smokestack: records written: ${emitted.files.join(', ')}`)
  if (json) io.stdout.write(`${reporter.redact(JSON.stringify(runDocument(report), null, 2))}\n`)
  else io.stdout.write(reporter.redact(renderReport(report, painter(useColor(io.stdout.isTTY, io.env)))))
  return report.passed ? 0 : 1
}
