/** QEMU binfmt handlers: which exist, which are needed, installing the missing ones. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { docker, lastErrorLine } from './exec.js'
import { binfmtName, isNative, qemuArch } from './platform.js'

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc'

export interface Handler {
  name: string
  enabled: boolean
  interpreter: string
}

/** Reads the registered binfmt_misc handlers. An unmounted binfmt_misc reads as none. */
export function readHandlers(dir = BINFMT_DIR): Handler[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return []
  }
  const handlers: Handler[] = []
  for (const name of names) {
    if (name === 'register' || name === 'status') continue
    try {
      const text = fs.readFileSync(path.join(dir, name), 'utf8')
      handlers.push({ name, enabled: /^enabled$/m.test(text), interpreter: /^interpreter\s+(.*)$/m.exec(text)?.[1] ?? '' })
    } catch {
      // a handler removed while reading
    }
  }
  return handlers
}

/** True when an enabled handler runs the platform's binaries (by name `qemu-<arch>` or by its interpreter). */
export function hasHandler(platform: string, handlers: Handler[]): boolean {
  const arch = qemuArch(platform)
  if (!arch) return false
  const re = new RegExp(`(^|/|-)qemu-${arch}(-static)?$`)
  return handlers.some((h) => h.enabled && (h.name === `qemu-${arch}` || re.test(h.interpreter)))
}

export interface QemuPlan {
  /** Platforms to install handlers for (empty: nothing to do). */
  install: string[]
  /** Why, for the log. */
  reason: string
}

/** Decides which handlers to install. Pure. */
export function planQemu(mode: 'auto' | 'true' | 'false', platforms: string[], host: string, handlers: Handler[]): QemuPlan {
  const foreign = platforms.filter((p) => !isNative(p, host))
  if (mode === 'false') return { install: [], reason: 'setup-qemu is false' }
  if (foreign.length === 0) return { install: [], reason: `every platform is native to ${host}` }
  if (mode === 'true') return { install: foreign, reason: 'setup-qemu is true' }
  const missing = foreign.filter((p) => !hasHandler(p, handlers))
  if (missing.length === 0) return { install: [], reason: `QEMU handlers already registered for ${foreign.join(', ')}` }
  return { install: missing, reason: `no QEMU handler for ${missing.join(', ')}` }
}

export function qemuInstallArgs(image: string, platforms: string[]): string[] {
  const names = [...new Set(platforms.map(binfmtName))]
  return ['run', '--rm', '--privileged', image, '--install', names.join(',')]
}

/** Runs the installer image, then checks that every handler is there. */
export async function installQemu(image: string, platforms: string[], handlersDir = BINFMT_DIR): Promise<void> {
  const result = await docker(qemuInstallArgs(image, platforms), { allowFailure: true, timeoutMs: 5 * 60_000 })
  if (result.exitCode !== 0) {
    const why = result.stderr.trim() || result.stdout.trim() ? lastErrorLine(result.stderr, result.stdout) : `exit ${result.exitCode}`
    throw new Error(
      `QEMU installation failed: "docker run --privileged ${image}" ${result.timedOut ? 'timed out' : `failed: ${why}`}. Check the "qemu-image" input, or register the handlers before this step (docker/setup-qemu-action)`
    )
  }
  const handlers = readHandlers(handlersDir)
  const still = platforms.filter((p) => !hasHandler(p, handlers))
  if (still.length > 0) {
    throw new Error(`QEMU installation failed: after running ${image}, no binfmt handler is registered for ${still.join(', ')}; check the "qemu-image" input`)
  }
}
