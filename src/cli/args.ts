/**
 * The command line, mapped onto the action's inputs: one flag per input, same name, so that
 * `parseInputs` validates both alike. Pure.
 */
import { parseArgs } from 'node:util'
import type { InputSource } from '../context.js'

/** How a flag's values become its input's text. */
type FlagKind =
  /** One value; given again, the last one wins. */
  | 'value'
  /** Repeatable; values joined with commas (the input splits on commas and newlines). */
  | 'list'
  /** Repeatable; values joined with newlines (the input takes one item per line). */
  | 'lines'
  /** No value: sets the input to `true`. */
  | 'switch'

export interface FlagSpec {
  /** The action.yml input the flag sets. */
  input: string
  kind: FlagKind
  /** Other names for the same flag (the singular of a repeatable one). */
  aliases?: string[]
  short?: string
  /** Placeholder for the value in the usage text. */
  value?: string
  help: string
}

/** Every input of action.yml, in its order, as a flag. `context` is also the positional argument. */
export const FLAGS: readonly FlagSpec[] = [
  { input: 'context', kind: 'value', value: 'DIR', help: 'Build context directory (also the first argument). Default: .' },
  { input: 'file', kind: 'value', short: 'f', value: 'PATH', help: 'Dockerfile. Default: <context>/Dockerfile' },
  { input: 'target', kind: 'value', value: 'STAGE', help: 'Build stage to build. Default: the last stage' },
  {
    input: 'platforms',
    kind: 'list',
    aliases: ['platform'],
    value: 'LIST',
    help: "Platforms, e.g. linux/amd64,linux/arm64 (repeatable). Default: the engine's own"
  },
  { input: 'build-args', kind: 'lines', aliases: ['build-arg'], value: 'KEY=VALUE', help: 'Build argument (repeatable)' },
  { input: 'labels', kind: 'lines', aliases: ['label'], value: 'KEY=VALUE', help: 'Image label (repeatable)' },
  { input: 'tags', kind: 'list', aliases: ['tag'], short: 't', value: 'REF', help: 'Image reference to publish to (repeatable)' },
  {
    input: 'push',
    kind: 'switch',
    help: 'Publish under every tag if every platform passed; --push by-digest pushes each tested platform by digest and writes its record'
  },
  { input: 'record-dir', kind: 'value', value: 'DIR', help: 'With --push by-digest: the directory the platform records are written to' },
  { input: 'builder', kind: 'value', value: 'NAME', help: 'Buildx builder. Default: the current one' },
  { input: 'no-cache', kind: 'switch', help: 'Build without cache' },
  { input: 'setup-qemu', kind: 'value', value: 'auto|true|false', help: 'Install QEMU handlers. Default: auto' },
  { input: 'qemu-image', kind: 'value', value: 'REF', help: 'QEMU installer image. Default: tonistiigi/binfmt:latest' },
  { input: 'smoke', kind: 'switch', help: 'Start each image (the default); --no-smoke skips it' },
  { input: 'smoke-args', kind: 'value', value: 'ARGS', help: 'Arguments for the start check, replacing CMD (write --smoke-args="--x" for a leading dash)' },
  { input: 'smoke-timeout', kind: 'value', value: 'DURATION', help: 'How long the start check waits, e.g. 10s. Default: 10s' },
  { input: 'smoke-exit-codes', kind: 'list', aliases: ['smoke-exit-code'], value: 'CODES', help: 'Exit codes besides 0 that pass (repeatable)' },
  { input: 'smoke-network', kind: 'value', value: 'NETWORK', help: 'Network for the start check. Default: none' },
  {
    input: 'smoke-run-args',
    kind: 'lines',
    aliases: ['smoke-run-arg'],
    value: 'OPTION',
    help: 'Extra docker run option for the start check, e.g. --smoke-run-arg=--user=1000 (repeatable)'
  },
  { input: 'smoke-health', kind: 'value', value: 'auto|true|false', help: "How the image's HEALTHCHECK decides the start check. Default: auto" },
  { input: 'smoke-probe', kind: 'lines', value: 'URL', help: 'Readiness probe http://:PORT/PATH or tcp://:PORT (repeatable)' },
  {
    input: 'probe-image',
    kind: 'value',
    value: 'REF',
    help: 'Image of the probe container, when the runner cannot enter the namespace. Default: busybox:stable'
  },
  { input: 'max-size', kind: 'value', value: 'SIZE', help: 'Size budget per platform, e.g. 20MB' },
  { input: 'size-metric', kind: 'value', value: 'disk|compressed', help: 'What --max-size applies to. Default: disk' },
  { input: 'compare-to', kind: 'value', value: 'REF', help: 'Image in a registry to compare compressed sizes with' },
  { input: 'max-growth', kind: 'value', value: 'GROWTH', help: 'Largest allowed growth against --compare-to, e.g. 5% or 2MB' },
  { input: 'fail-on-advice', kind: 'switch', help: 'Fail when the Dockerfile advice finds a pitfall' },
  { input: 'ignore-advice', kind: 'list', value: 'CODES', help: 'Dockerfile advice codes not to report (repeatable)' },
  { input: 'cache', kind: 'value', value: 'auto|true|false', help: 'Keep the build cache with the Actions cache (only inside Actions). Default: auto' },
  { input: 'cache-key', kind: 'value', value: 'TEXT', help: 'Extra part of the cache key' },
  { input: 'cache-timeout', kind: 'value', value: 'DURATION', help: 'Longest wait for the cache service. Default: 60s' },
  {
    input: 'secrets',
    kind: 'lines',
    value: 'ID=VALUE',
    help: 'Build secret as the input takes it (repeatable; prefer --secret, argv is visible to other users)'
  },
  { input: 'secret-files', kind: 'lines', aliases: ['secret-file'], value: 'ID=PATH', help: 'Build secret file (repeatable)' },
  { input: 'secret-envs', kind: 'list', aliases: ['secret-env'], value: 'ID=VARIABLE', help: 'Build secret read from an environment variable (repeatable)' },
  { input: 'cache-from', kind: 'lines', value: 'CACHE', help: 'External cache source, e.g. type=registry,ref=user/app:cache (repeatable)' },
  { input: 'cache-to', kind: 'lines', value: 'CACHE', help: 'Cache export destination, e.g. type=local,dest=DIR (repeatable)' },
  { input: 'provenance', kind: 'value', value: 'true|false|ATTRS', help: 'Provenance attestation, e.g. mode=max' },
  { input: 'sbom', kind: 'value', value: 'true|false|ATTRS', help: 'SBOM attestation' },
  { input: 'attests', kind: 'lines', aliases: ['attest'], value: 'ATTEST', help: 'Attestation, e.g. type=sbom,generator=IMAGE (repeatable)' },
  { input: 'annotations', kind: 'lines', aliases: ['annotation'], value: 'KEY=VALUE', help: 'Manifest annotation (repeatable)' },
  { input: 'ssh', kind: 'list', value: 'default|ID=PATH', help: 'SSH agent socket or key for RUN --mount=type=ssh (repeatable)' },
  { input: 'build-contexts', kind: 'lines', aliases: ['build-context'], value: 'NAME=VALUE', help: 'Named build context (repeatable)' },
  { input: 'pull', kind: 'switch', help: 'Always pull the images the Dockerfile names' },
  { input: 'network', kind: 'value', value: 'default|none|host', help: 'Network of RUN instructions' },
  { input: 'add-hosts', kind: 'list', aliases: ['add-host'], value: 'HOST:IP', help: 'Host-to-IP mapping for RUN instructions (repeatable)' },
  { input: 'allow', kind: 'list', value: 'ENTITLEMENT', help: 'Extra privileged entitlement, e.g. network.host (repeatable)' },
  { input: 'shm-size', kind: 'value', value: 'SIZE', help: 'Size of /dev/shm for RUN instructions, e.g. 128m' },
  { input: 'ulimit', kind: 'lines', value: 'NAME=SOFT:HARD', help: 'Ulimit for RUN instructions, e.g. nofile=1024:2048 (repeatable)' },
  { input: 'no-cache-filters', kind: 'list', aliases: ['no-cache-filter'], value: 'STAGE', help: 'Build stage not to take from the cache (repeatable)' },
  { input: 'cgroup-parent', kind: 'value', value: 'CGROUP', help: 'Parent cgroup of RUN instructions' },
  { input: 'github-token', kind: 'value', value: 'TOKEN', help: "Token for a Git context of the workflow's own repository" },
  { input: 'load', kind: 'switch', help: "Leave the tested image in the engine under its tags (the engine's own platform)" },
  {
    input: 'test-command',
    kind: 'value',
    value: 'COMMAND',
    help: 'Shell command run per passed platform with IMAGE and PLATFORM set; a non-zero exit fails it'
  },
  { input: 'outputs', kind: 'lines', aliases: ['output'], value: 'OUTPUT', help: 'Not supported: smokestack loads and publishes the images itself' },
  { input: 'call', kind: 'value', value: 'METHOD', help: 'Not supported: a build method such as check makes no image to test' }
]

/** Flags of the command itself, not inputs. */
const OWN_FLAGS = {
  secret: {
    type: 'string',
    value: 'id=ID,src=PATH|env=VAR',
    help: "Build secret in buildx's syntax: from a file (src) or an environment variable (env, default the id); repeatable"
  },
  report: { type: 'string', value: 'junit=FILE', help: 'Also write the results as a JUnit XML report, one test case per platform' },
  json: { type: 'boolean', help: 'Print the results as JSON on stdout (progress stays on stderr)' },
  verbose: { type: 'boolean', short: 'v', help: 'Show the full log of every step on stderr' },
  help: { type: 'boolean', short: 'h', help: 'Show this help' },
  version: { type: 'boolean', help: 'Show the version' }
} as const

/** A command line that cannot be read: the message says why; the exit code is 2, like a bad input. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export interface CommandLine {
  /** Raw input texts by action.yml name, as the runner would pass them. Unset inputs are absent. */
  inputs: Record<string, string>
  /** `--report junit=FILE`: where to write the JUnit report. */
  junit?: string
  json: boolean
  verbose: boolean
  help: boolean
  version: boolean
}

type OptionConfig = { type: 'string' | 'boolean'; short?: string; multiple?: boolean }

function optionTable(): Record<string, OptionConfig> {
  const options: Record<string, OptionConfig> = {}
  for (const flag of FLAGS) {
    const type = flag.kind === 'switch' ? 'boolean' : 'string'
    options[flag.input] = { type, ...(flag.short ? { short: flag.short } : {}) }
    for (const alias of flag.aliases ?? []) options[alias] = { type }
  }
  options['no-smoke'] = { type: 'boolean' }
  options[PUSH_BY_DIGEST] = { type: 'boolean' }
  for (const [name, own] of Object.entries(OWN_FLAGS)) options[name] = { type: own.type, ...('short' in own ? { short: own.short } : {}) }
  return options
}

/**
 * `--secret` in buildx's syntax: `id=ID,src=PATH` (or `source=`) is a secret file, `id=ID,env=VAR` a secret
 * read from the environment, `id=ID` alone the environment variable named like it. Returns the input and its line.
 */
export function buildxSecret(value: string): { input: 'secret-files' | 'secret-envs'; line: string } {
  const fields = new Map<string, string>()
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) throw new UsageError(`--secret ${JSON.stringify(value)}: use id=ID,src=PATH or id=ID,env=VARIABLE (buildx's syntax)`)
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim())
  }
  const unknown = [...fields.keys()].filter((k) => !['id', 'src', 'source', 'env', 'type'].includes(k))
  if (unknown.length) throw new UsageError(`--secret ${JSON.stringify(value)}: unknown field ${unknown[0]}; use id=ID,src=PATH or id=ID,env=VARIABLE`)
  const id = fields.get('id')
  if (!id) throw new UsageError(`--secret ${JSON.stringify(value)}: no id; use id=ID,src=PATH or id=ID,env=VARIABLE`)
  const type = fields.get('type')
  if (type !== undefined && type !== 'file' && type !== 'env') throw new UsageError(`--secret ${JSON.stringify(value)}: type is file or env`)
  const src = fields.get('src') ?? fields.get('source')
  const env = fields.get('env')
  if (src !== undefined && env !== undefined) throw new UsageError(`--secret ${JSON.stringify(value)}: give src or env, not both`)
  if (src !== undefined || type === 'file') {
    if (!src) throw new UsageError(`--secret ${JSON.stringify(value)}: type=file needs src=PATH`)
    return { input: 'secret-files', line: `${id}=${src}` }
  }
  return { input: 'secret-envs', line: `${id}=${env ?? id}` }
}

/** `--report junit=FILE`. */
function reportFile(value: string): string {
  const m = /^junit=(.+)$/.exec(value.trim())
  if (!m) throw new UsageError(`--report ${JSON.stringify(value)}: use junit=FILE`)
  return m[1]
}

const FLAG_BY_NAME = new Map<string, FlagSpec>(FLAGS.flatMap((f) => [f.input, ...(f.aliases ?? [])].map((name) => [name, f] as const)))

/** `--push by-digest` and `--push=by-digest`, read as this one switch (`--push` alone takes no value). */
const PUSH_BY_DIGEST = 'push-by-digest'

function pushByDigest(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return [...out, ...argv.slice(i)]
    if (argv[i] === '--push' && argv[i + 1] === 'by-digest') {
      out.push(`--${PUSH_BY_DIGEST}`)
      i++
    } else out.push(argv[i] === '--push=by-digest' ? `--${PUSH_BY_DIGEST}` : argv[i])
  }
  return out
}

/** Reads the arguments after `smokestack`. Throws a UsageError for unknown flags or misplaced values. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let tokens
  try {
    ;({ tokens } = parseArgs({ args: pushByDigest(argv), options: optionTable(), allowPositionals: true, strict: true, tokens: true }))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const collected = new Map<string, string[]>()
  const own: Record<string, boolean> = {}
  let junit: string | undefined
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value)
      continue
    }
    if (token.kind !== 'option') continue
    if (token.name === 'secret') {
      const { input, line } = buildxSecret(token.value ?? '')
      collected.set(input, [...(collected.get(input) ?? []), line])
      continue
    }
    if (token.name === 'report') {
      junit = reportFile(token.value ?? '')
      continue
    }
    if (token.name in OWN_FLAGS) {
      own[token.name] = true
      continue
    }
    if (token.name === 'no-smoke') {
      collected.set('smoke', ['false'])
      continue
    }
    if (token.name === PUSH_BY_DIGEST) {
      collected.set('push', ['by-digest'])
      continue
    }
    const flag = FLAG_BY_NAME.get(token.name) as FlagSpec
    if (flag.kind === 'switch') collected.set(flag.input, ['true'])
    else if (flag.kind === 'value') collected.set(flag.input, [token.value ?? ''])
    else collected.set(flag.input, [...(collected.get(flag.input) ?? []), token.value ?? ''])
  }
  if (positionals.length > 1) throw new UsageError(`Expected at most one build context directory, got ${positionals.length}: ${positionals.join(' ')}`)
  if (positionals.length === 1) {
    if (collected.has('context') && collected.get('context')?.[0] !== positionals[0]) {
      throw new UsageError(`The build context is given twice: ${positionals[0]} and --context ${collected.get('context')?.[0]}`)
    }
    collected.set('context', [positionals[0]])
  }
  const inputs: Record<string, string> = {}
  for (const flag of FLAGS) {
    const values = collected.get(flag.input)
    if (values) inputs[flag.input] = values.join(flag.kind === 'lines' ? '\n' : ',')
  }
  return { inputs, junit, json: !!own.json, verbose: !!own.verbose, help: !!own.help, version: !!own.version }
}

/** The `get(name)` that `parseInputs` reads: the flag's text, or '' when not given (the input's default). */
export function inputSource(inputs: Record<string, string>): InputSource {
  return (name) => inputs[name] ?? ''
}

/** The usage text for `--help`. */
export function usage(version: string): string {
  const rows: [string, string][] = []
  for (const flag of FLAGS) {
    const names = [flag.short ? `-${flag.short}, ` : '', `--${flag.input}`, ...(flag.aliases ?? []).map((a) => `, --${a}`)].join('')
    rows.push([`${names}${flag.value ? ` ${flag.value}` : ''}`, flag.help])
    if (flag.input === 'smoke') rows.push(['--no-smoke', 'Build, look inside and size, without starting the images'])
    if (flag.input === 'push') rows.push(['--push by-digest', 'Push each tested platform by digest (no tag) and write its record for smokestack merge'])
  }
  for (const [name, own] of Object.entries(OWN_FLAGS))
    rows.push([`${'short' in own ? `-${own.short}, ` : ''}--${name}${'value' in own ? ` ${own.value}` : ''}`, own.help])
  const width = Math.max(...rows.map(([names]) => names.length))
  return [
    `smokestack ${version}`,
    'Build a Docker image for every platform, look inside and start each one, measure it, and publish only if every platform passed.',
    '',
    'Usage: smokestack [context] [options]',
    '       smokestack lint [Dockerfile…] [options]   (the Dockerfile advice alone; smokestack lint --help)',
    '       smokestack merge <records-dir> [options]  (join per-platform records into one list; smokestack merge --help)',
    '',
    'Options (each one sets the action input of the same name):',
    ...rows.map(([names, help]) => `  ${names.padEnd(width)}  ${help}`),
    '',
    'Exit status: 0 when every platform passed, 1 when one failed, 2 on a bad option or value, 3 when the environment is missing (no engine, no buildx).',
    'Example: smokestack examples/cross-compile --platform linux/amd64,linux/arm64 --max-size 20MB',
    ''
  ].join('\n')
}
