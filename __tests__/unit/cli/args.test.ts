import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { FLAGS, inputSource, parseCommandLine, usage, UsageError } from '../../../src/cli/args.js'
import { InputError, parseInputs } from '../../../src/context.js'
import { readActionMetadata } from '../../../scripts/readme.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')

let workspace: string
beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-args-'))
  fs.mkdirSync(path.join(workspace, 'app'))
  fs.writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM alpine:3.12.2\n')
  fs.writeFileSync(path.join(workspace, 'app', 'Other.Dockerfile'), 'FROM busybox\n')
})
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

/** The command line through the action's own validation. */
function inputsFrom(argv: string[]) {
  return parseInputs(inputSource(parseCommandLine(argv).inputs), workspace)
}

/** The error message of a failing call. */
function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('expected an error')
}

describe('flags mirror the inputs', () => {
  it('has exactly one flag per action.yml input, under the same name', () => {
    const action = readActionMetadata(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
    expect(FLAGS.map((f) => f.input)).toEqual(action.inputs.map((i) => i.name))
  })

  it('lists every flag and alias in the usage text', () => {
    const text = usage('1.2.3')
    expect(text).toContain('smokestack 1.2.3')
    for (const flag of FLAGS) for (const name of [flag.input, ...(flag.aliases ?? [])]) expect(text).toContain(`--${name}`)
    expect(text).toContain('--no-smoke')
  })
})

describe('parseCommandLine', () => {
  it('takes the context from the first argument', () => {
    expect(parseCommandLine(['app']).inputs).toEqual({ context: 'app' })
    expect(parseCommandLine(['--context', 'app']).inputs).toEqual({ context: 'app' })
    expect(parseCommandLine([]).inputs).toEqual({})
  })

  it('joins repeated list flags with commas and line flags with newlines, aliases included', () => {
    const { inputs } = parseCommandLine([
      '--platform',
      'linux/amd64',
      '--platforms=linux/arm64,linux/arm/v7',
      '--build-arg',
      'A=1',
      '--build-arg',
      'B=x,y',
      '--label',
      'org.opencontainers.image.title=app',
      '-t',
      'ghcr.io/o/app:1',
      '--tag',
      'ghcr.io/o/app:latest',
      '--smoke-run-arg=--user=1000',
      '--smoke-exit-code',
      '3'
    ])
    expect(inputs.platforms).toBe('linux/amd64,linux/arm64,linux/arm/v7')
    expect(inputs['build-args']).toBe('A=1\nB=x,y')
    expect(inputs.labels).toBe('org.opencontainers.image.title=app')
    expect(inputs.tags).toBe('ghcr.io/o/app:1,ghcr.io/o/app:latest')
    expect(inputs['smoke-run-args']).toBe('--user=1000')
    expect(inputs['smoke-exit-codes']).toBe('3')
  })

  it('turns switches into true, --no-smoke into smoke=false, and lets the last of --smoke/--no-smoke win', () => {
    expect(parseCommandLine(['--push', '--no-cache', '--fail-on-advice']).inputs).toEqual({ push: 'true', 'no-cache': 'true', 'fail-on-advice': 'true' })
    expect(parseCommandLine(['app', '--push', 'by-digest', '--record-dir', 'd']).inputs).toEqual({ context: 'app', push: 'by-digest', 'record-dir': 'd' })
    expect(parseCommandLine(['--push', 'app']).inputs).toEqual({ context: 'app', push: 'true' })
    expect(parseCommandLine(['--', '--push']).inputs).toEqual({ context: '--push' })
    expect(parseCommandLine(['--no-smoke']).inputs.smoke).toBe('false')
    expect(parseCommandLine(['--no-smoke', '--smoke']).inputs.smoke).toBe('true')
    expect(parseCommandLine(['--smoke', '--no-smoke']).inputs.smoke).toBe('false')
  })

  it('keeps the last value of a single-value flag', () => {
    expect(parseCommandLine(['--max-size', '10MB', '--max-size', '20MB']).inputs['max-size']).toBe('20MB')
  })

  it('reads its own flags apart from the inputs', () => {
    const cl = parseCommandLine(['--json', '-v', 'app'])
    expect(cl).toMatchObject({ json: true, verbose: true, help: false, version: false, inputs: { context: 'app' } })
    expect(parseCommandLine(['-h']).help).toBe(true)
    expect(parseCommandLine(['--version']).version).toBe(true)
  })

  it('rejects unknown flags, a missing value, two contexts and a switch given a value', () => {
    expect(() => parseCommandLine(['--platfrom', 'linux/amd64'])).toThrow(UsageError)
    expect(messageOf(() => parseCommandLine(['--platfrom', 'linux/amd64']))).toMatch(/--platfrom/)
    expect(() => parseCommandLine(['--max-size'])).toThrow(UsageError)
    expect(messageOf(() => parseCommandLine(['a', 'b']))).toMatch(/at most one build context/)
    expect(messageOf(() => parseCommandLine(['a', '--context', 'b']))).toMatch(/given twice/)
    expect(() => parseCommandLine(['--push=false'])).toThrow(UsageError)
  })
})

describe('flags through parseInputs', () => {
  it('yields the same inputs the action would get', () => {
    const inputs = inputsFrom([
      'app',
      '--file',
      'app/Other.Dockerfile',
      '--platform',
      'linux/amd64,linux/arm64',
      '--build-arg',
      'VERSION=1.2',
      '--build-arg',
      'LIST=a,b',
      '--tag',
      'ghcr.io/o/app:1',
      '--push',
      '--max-size',
      '20MB',
      '--size-metric',
      'compressed',
      '--compare-to',
      'ghcr.io/o/app:latest',
      '--max-growth',
      '5%',
      '--smoke-args',
      'serve --port "8080"',
      '--smoke-timeout',
      '1m30s',
      '--smoke-exit-codes',
      '3,4',
      '--smoke-run-arg=--env=A=B',
      '--smoke-run-arg=--user 1000',
      '--no-smoke',
      '--setup-qemu',
      'false',
      '--builder',
      'ci'
    ])
    expect(inputs).toMatchObject({
      context: path.join(workspace, 'app'),
      file: path.join(workspace, 'app', 'Other.Dockerfile'),
      platforms: ['linux/amd64', 'linux/arm64'],
      buildArgs: { VERSION: '1.2', LIST: 'a,b' },
      tags: ['ghcr.io/o/app:1'],
      push: true,
      maxSize: 20_000_000,
      sizeMetric: 'compressed',
      compareTo: 'ghcr.io/o/app:latest',
      maxGrowth: { percent: 5 },
      smokeArgs: ['serve', '--port', '8080'],
      smokeTimeoutMs: 90_000,
      smokeExitCodes: [3, 4],
      smokeRunArgs: ['--env=A=B', '--user=1000'],
      smoke: false,
      setupQemu: 'false',
      builder: 'ci'
    })
  })

  it("leaves unset flags to the inputs' defaults", () => {
    const inputs = inputsFrom(['app'])
    expect(inputs).toMatchObject({
      platforms: [],
      push: false,
      smoke: true,
      smokeTimeoutMs: 10_000,
      smokeNetwork: 'none',
      sizeMetric: 'disk',
      setupQemu: 'auto',
      cache: 'auto'
    })
    expect(inputs.file).toBe(path.join(workspace, 'app', 'Dockerfile'))
  })

  it('fails with the same message as the action, naming the input', () => {
    const cases: [string[], string, Record<string, string>][] = [
      [['app', '--platform', 'linux/sparc'], 'platforms', { context: 'app', platforms: 'linux/sparc' }],
      [['app', '--max-size', '20XB'], 'max-size', { context: 'app', 'max-size': '20XB' }],
      [['app', '--smoke-timeout', 'soon'], 'smoke-timeout', { context: 'app', 'smoke-timeout': 'soon' }],
      [['app', '--smoke-run-arg=--privileged'], 'smoke-run-args', { context: 'app', 'smoke-run-args': '--privileged' }],
      [['app', '--push'], 'tags', { context: 'app', push: 'true' }],
      [['missing'], 'context', { context: 'missing' }]
    ]
    for (const [argv, input, raw] of cases) {
      let error: unknown
      try {
        inputsFrom(argv)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).input).toBe(input)
      expect((error as Error).message).toContain(`"${input}"`)
      expect((error as Error).message).toBe(messageOf(() => parseInputs((name) => raw[name] ?? '', workspace)))
    }
  })
})

describe("flags in buildx's own syntax, and the command's own", () => {
  it('reads --secret as buildx does: a file (src), an environment variable (env), or the variable named like the id', () => {
    const cl = parseCommandLine([
      '--secret',
      'id=npmrc,src=/home/me/.npmrc',
      '--secret',
      'id=tok,env=GH_TOKEN',
      '--secret',
      'id=AWS_KEY',
      '--secret',
      'type=file,id=k,source=key.pem'
    ])
    expect(cl.inputs['secret-files']).toBe('npmrc=/home/me/.npmrc\nk=key.pem')
    expect(cl.inputs['secret-envs']).toBe('tok=GH_TOKEN,AWS_KEY=AWS_KEY')
    expect(cl.inputs.secrets).toBeUndefined()
  })
  it.each([
    ['npmrc', /use id=ID,src=PATH or id=ID,env=VARIABLE/],
    ['src=/x', /no id/],
    ['id=a,src=/x,env=B', /src or env, not both/],
    ['id=a,mode=0400', /unknown field mode/],
    ['type=ssh,id=a', /type is file or env/],
    ['type=file,id=a', /type=file needs src=PATH/]
  ])('refuses --secret %j', (value, message) => {
    expect(() => parseCommandLine(['--secret', value])).toThrow(message)
  })
  it('takes --report junit=FILE, and refuses another kind', () => {
    expect(parseCommandLine(['--report', 'junit=out/results.xml']).junit).toBe('out/results.xml')
    expect(() => parseCommandLine(['--report', 'html=x'])).toThrow(/use junit=FILE/)
  })
})
