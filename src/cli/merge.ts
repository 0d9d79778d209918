/**
 * `smokestack merge <records-dir> --tags … --platforms …`: the merge action on the command line. Prints the
 * results table (or --json) on stdout; exit 0 when the list was published, 1 when the merge was blocked or
 * publishing failed, 2 on a bad flag or value or records that cannot be read.
 */
import { parseArgs } from 'node:util'
import { InputError } from '../context.js'
import { engineInsecureRegistries, merge, stopTagsOnSignal } from '../merge/index.js'
import { parseMergeInputs } from '../merge/inputs.js'
import { mergeFailure } from '../merge/report.js'
import { RecordError } from '../record/parse.js'
import { runDocument } from '../report/outputs.js'
import { printable } from '../report/quote.js'
import { painter, renderReport, useColor } from './render.js'

export interface MergeIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  cwd: string
  env: NodeJS.ProcessEnv
}

export const MERGE_USAGE = `Usage: smokestack merge <records-dir> --tags REF[,REF] --platforms LIST [options]

Joins the platforms that smokestack --push by-digest pushed (one record each in <records-dir>) into one
manifest list under every tag, after checking that every expected platform passed in its own job and that
its manifest and config are in the registry as recorded. Publishes nothing otherwise.

Options:
  -t, --tags REF        Tag to publish the list under (repeatable, comma-separated)
  --platforms LIST      Every platform the list must hold, e.g. linux/amd64,linux/arm64 (repeatable)
  --annotation K=V      Annotation of the list (an OCI image index; repeatable)
  --commit SHA          The commit every record must come from. Default: $GITHUB_SHA when set
  --json                Print the results as JSON on stdout
  -h, --help            Show this help

Exit codes: 0 published, 1 blocked or publishing failed, 2 a bad option or value, or records that cannot be read.
`

export async function mergeMain(argv: string[], io: MergeIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`smokestack merge: ${printable(message)}\nRun smokestack merge --help for the options.\n`)
    return 2
  }
  let values
  let positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tags: { type: 'string', multiple: true, short: 't' },
        tag: { type: 'string', multiple: true },
        platforms: { type: 'string', multiple: true },
        platform: { type: 'string', multiple: true },
        annotation: { type: 'string', multiple: true },
        commit: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    }))
  } catch (e) {
    return fail((e as Error).message)
  }
  if (values.help) {
    io.stdout.write(MERGE_USAGE)
    return 0
  }
  if (positionals.length !== 1) return fail(`give one records directory, got ${positionals.length}${positionals.length ? `: ${positionals.join(' ')}` : ''}`)
  const raw: Record<string, string> = {
    records: positionals[0],
    tags: [...(values.tags ?? []), ...(values.tag ?? [])].join(','),
    platforms: [...(values.platforms ?? []), ...(values.platform ?? [])].join(','),
    annotations: (values.annotation ?? []).join('\n'),
    commit: values.commit ?? ''
  }
  const stopListening = stopTagsOnSignal((line) => io.stderr.write(`smokestack merge: ${line}\n`))
  try {
    const inputs = parseMergeInputs((name) => raw[name] ?? '', io.cwd, io.env)
    const report = await merge(inputs, { registryConfig: await engineInsecureRegistries(), say: (line) => io.stderr.write(`${printable(line)}\n`) })
    if (values.json) io.stdout.write(`${JSON.stringify(runDocument(report), null, 2)}\n`)
    else io.stdout.write(renderReport(report, painter(useColor(io.stdout.isTTY, io.env))))
    const failure = mergeFailure(report)
    if (failure) io.stderr.write(`smokestack merge: ${printable(failure)}\n`)
    return failure ? 1 : 0
  } catch (e) {
    if (e instanceof InputError || e instanceof RecordError) return fail(e.message)
    throw e
  } finally {
    stopListening()
  }
}
