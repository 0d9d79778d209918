/**
 * `smoke-run-args`: the `docker run` options a user may add to the start check. Only options on
 * the allow-list below are accepted, each with its arity; everything else is refused, naming the
 * option. Lines are read the way the docker CLI reads its flags (pflag): `--opt=value`,
 * `--opt value`, `-o value`, `-ovalue`, `-o=value`, grouped boolean shorts (`-it`) and a short
 * that takes a value last in a group (`-tu 1000`). What is passed on is rewritten as `--name=value`,
 * so no later option can be hidden in a value. Pure.
 */
import { fail, splitArgs, splitLines } from './values.js'

interface RunOption {
  /** Takes a value (else a boolean switch). */
  value: boolean
  short?: string
  /** Refuses a value that is accepted by the docker CLI but loosens the sandbox. */
  check?: (value: string) => string | undefined
}

const SIZE = /^\d+(\.\d+)?\s?[bkmgtp]?i?b?$/i
const positiveSize = (v: string): string | undefined => (SIZE.test(v) && Number.parseFloat(v) > 0 ? undefined : 'a size greater than zero such as 256m or 1g')
const ULIMIT = /^[a-z]+=-?\d+(:-?\d+)?$/
// Sysctls of the container's own IPC and network namespaces (docker's namespaced list).
const SAFE_SYSCTL = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.[a-z_]+|net\.[a-z0-9_.]+)=\S*$/

/** The accepted options of `docker run`/`docker create`, by long name. */
const ALLOWED: Readonly<Record<string, RunOption>> = {
  env: {
    value: true,
    short: 'e',
    check: (v) => (/^[A-Za-z_][A-Za-z0-9_]*=/.test(v) ? undefined : "KEY=VALUE (a bare KEY would copy the runner's own variable into the container)")
  },
  user: { value: true, short: 'u', check: (v) => (/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/.test(v) ? undefined : 'user[:group], names or numbers') },
  workdir: { value: true, short: 'w', check: (v) => (v.startsWith('/') ? undefined : 'an absolute path inside the container') },
  tmpfs: {
    value: true,
    check: (v) => (/^\/[^:\s]*(:[A-Za-z0-9=,]+)?$/.test(v) ? undefined : 'a path inside the container, with optional mount options (/tmp:size=64m)')
  },
  'read-only': { value: false },
  'cap-drop': { value: true, check: (v) => (/^[A-Za-z_]+$/.test(v) ? undefined : 'a capability name or ALL') },
  'group-add': { value: true, check: (v) => (/^[A-Za-z0-9_.-]+$/.test(v) ? undefined : 'a group name or number') },
  memory: { value: true, short: 'm', check: positiveSize },
  cpus: { value: true, check: (v) => (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 ? undefined : 'a number of CPUs greater than zero, such as 0.5') },
  'pids-limit': { value: true, check: (v) => (/^\d+$/.test(v) && Number(v) > 0 && Number(v) <= 65_536 ? undefined : 'a number of processes from 1 to 65536') },
  ulimit: { value: true, check: (v) => (ULIMIT.test(v) ? undefined : 'name=soft[:hard], such as nofile=1024:2048') },
  sysctl: {
    value: true,
    check: (v) =>
      SAFE_SYSCTL.test(v) ? undefined : "a sysctl of the container's own namespaces (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*) as name=value"
  },
  hostname: { value: true, short: 'h', check: (v) => (/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(v) ? undefined : 'a host name') },
  'add-host': { value: true, check: (v) => (/^[A-Za-z0-9][A-Za-z0-9.-]*[:=]\S+$/.test(v) ? undefined : 'host:ip') },
  dns: { value: true },
  'dns-search': { value: true },
  'dns-option': { value: true },
  label: {
    value: true,
    short: 'l',
    check: (v) => (v.startsWith('org.smokestack.') ? "a label outside org.smokestack.* (those mark the start check's own containers)" : undefined)
  },
  init: { value: false },
  interactive: { value: false, short: 'i' },
  tty: { value: false, short: 't' },
  'stop-signal': { value: true, check: (v) => (/^(SIG)?[A-Z0-9+-]+$|^\d+$/.test(v) ? undefined : 'a signal name or number, such as SIGINT') },
  'stop-timeout': { value: true, check: (v) => (/^\d+$/.test(v) ? undefined : 'a number of seconds') },
  'shm-size': { value: true, check: positiveSize },
  'health-cmd': { value: true },
  'health-interval': { value: true },
  'health-retries': { value: true },
  'health-start-period': { value: true },
  'health-timeout': { value: true },
  'no-healthcheck': { value: false }
}

const SHORT = new Map(Object.entries(ALLOWED).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])))

function accepted(): string {
  const names = Object.entries(ALLOWED).map(([name, o]) => `--${name}${o.short ? `/-${o.short}` : ''}`)
  return `accepted: ${names.join(', ')}`
}

function refuse(input: string, line: string, option: string): never {
  return fail(
    input,
    line,
    `${option} is not an option the start check accepts (the sandbox sets the network, mounts, devices, privileges and the image itself; use smoke-network for the network); ${accepted()}`
  )
}

function take(input: string, line: string, name: string, value: string): string {
  const why = ALLOWED[name].check?.(value)
  if (why) fail(input, line, `--${name} needs ${why}`)
  return `--${name}=${value}`
}

function bool(input: string, line: string, name: string, value: string): string[] {
  if (/^(true|1)$/i.test(value)) return [`--${name}`]
  if (/^(false|0)$/i.test(value)) return []
  return fail(input, line, `--${name} is a switch: write --${name} or --${name}=false`)
}

/** Parses the options of one line (already split into words). */
function parseLine(input: string, line: string, words: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (word.startsWith('--') && word.length > 2) {
      const eq = word.indexOf('=')
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq)
      const option = ALLOWED[name]
      if (!option) refuse(input, line, `--${name}`)
      if (!option.value) {
        out.push(...bool(input, line, name, eq < 0 ? 'true' : word.slice(eq + 1)))
      } else if (eq >= 0) {
        out.push(take(input, line, name, word.slice(eq + 1)))
      } else {
        if (i + 1 >= words.length) fail(input, line, `--${name} needs a value`)
        out.push(take(input, line, name, words[++i]))
      }
    } else if (word.startsWith('-') && word.length > 1 && word !== '--') {
      // A group of shorts: switches, then at most one that takes the rest (or the next word) as its value.
      for (let j = 1; j < word.length; j++) {
        const name = SHORT.get(word[j])
        if (!name) refuse(input, line, `-${word[j]}${word.length > 2 ? ` (in ${word})` : ''}`)
        if (!ALLOWED[name].value) {
          out.push(`--${name}`)
          continue
        }
        let value = word.slice(j + 1)
        if (value.startsWith('=')) value = value.slice(1)
        else if (value === '') {
          if (i + 1 >= words.length) fail(input, line, `-${word[j]} (--${name}) needs a value`)
          value = words[++i]
        }
        out.push(take(input, line, name, value))
        break
      }
    } else {
      fail(
        input,
        line,
        `${JSON.stringify(word)} is not an option: give docker run options only (the image and its arguments are the start check's own; use smoke-args for arguments)`
      )
    }
  }
  return out
}

/** `docker run` options, one or more per line, as separate arguments (never through a shell). */
export function parseRunArgs(input: string, value: string): string[] {
  return splitLines(value).flatMap((line) => parseLine(input, line, splitArgs(input, line)))
}
