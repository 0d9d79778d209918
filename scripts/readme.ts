/**
 * The README's input and output reference, generated from action.yml and merge/action.yml (the Type column
 * from the input types of src/inputs/types.ts).
 *
 *   npx tsx scripts/readme.ts --write    regenerate the tables between the markers
 *   npx tsx scripts/readme.ts --check    exit 1 when README.md is out of date
 *
 * action.yml is read with a small reader for the part of YAML it uses: nested maps by indentation,
 * plain, quoted and block scalars, comments. Anything else is an error naming the line.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { INPUT_TYPES, MERGE_INPUT_TYPES } from '../src/inputs/types.js'

export type YamlValue = string | YamlMap
export interface YamlMap {
  [key: string]: YamlValue
}

export class YamlError extends Error {
  constructor(line: number, message: string) {
    super(`action.yml line ${line}: ${message}`)
    this.name = 'YamlError'
  }
}

interface Line {
  number: number
  indent: number
  text: string
}

/** A plain or quoted scalar, as written after `key: `. */
function scalar(raw: string, lineNumber: number): string {
  const text = raw.trim()
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new YamlError(lineNumber, `unterminated single-quoted value: ${text}`)
    return text.slice(1, -1).replace(/''/g, "'")
  }
  if (text.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"$/.exec(text)
    if (!m) throw new YamlError(lineNumber, `unterminated double-quoted value: ${text}`)
    const escapes: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/', r: '\r', '0': '\0' }
    return m[1].replace(/\\(.)/g, (_, c: string) => {
      if (!(c in escapes)) throw new YamlError(lineNumber, `unsupported escape \\${c}`)
      return escapes[c]
    })
  }
  if (/^[[{&*!|>%@`]/.test(text) || text.startsWith('- ')) throw new YamlError(lineNumber, `unsupported YAML value: ${text}`)
  return text.replace(/\s+#.*$/, '')
}

/** Parses the subset of YAML that action.yml files use into nested maps of strings. */
export function parseSimpleYaml(source: string): YamlMap {
  const lines: Line[] = source.split(/\r?\n/).map((raw, i) => ({ number: i + 1, indent: raw.length - raw.trimStart().length, text: raw.trimEnd() }))
  let at = 0

  const skipBlank = (): void => {
    while (at < lines.length && (lines[at].text.trim() === '' || lines[at].text.trim().startsWith('#'))) at++
  }

  /** The lines of a `|` or `>` block scalar, more indented than its key. */
  const block = (style: string, keyIndent: number): string => {
    const body: string[] = []
    let indent = -1
    while (at < lines.length) {
      const line = lines[at]
      if (line.text.trim() !== '') {
        if (line.indent <= keyIndent) break
        if (indent < 0) indent = line.indent
      }
      body.push(line.text.slice(Math.max(indent, 0)))
      at++
    }
    while (body.length && body[body.length - 1].trim() === '') body.pop()
    const keep = style.startsWith('|')
    const text = keep ? body.join('\n') : body.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ')
    return style.endsWith('-') ? text : `${text}\n`
  }

  const map = (indent: number): YamlMap => {
    const out: YamlMap = {}
    for (skipBlank(); at < lines.length; skipBlank()) {
      const line = lines[at]
      if (line.indent < indent) break
      if (line.indent > indent) throw new YamlError(line.number, 'unexpected indentation')
      if (line.text.includes('\t')) throw new YamlError(line.number, 'tabs are not allowed for indentation')
      const m = /^([A-Za-z0-9_.-]+|'[^']*'|"[^"]*"):(?:\s+(.*))?$/.exec(line.text.trim())
      if (!m) throw new YamlError(line.number, `expected "key: value", got: ${line.text.trim()}`)
      const key = /^['"]/.test(m[1]) ? m[1].slice(1, -1) : m[1]
      if (key in out) throw new YamlError(line.number, `"${key}" is given twice`)
      const rest = (m[2] ?? '').replace(/^#.*$/, '').trim()
      at++
      if (/^[|>][+-]?$/.test(rest)) {
        out[key] = block(rest, indent)
      } else if (rest !== '') {
        out[key] = scalar(rest, line.number)
      } else {
        skipBlank()
        out[key] = at < lines.length && lines[at].indent > indent ? map(lines[at].indent) : ''
      }
    }
    return out
  }

  const root = map(0)
  skipBlank()
  if (at < lines.length) throw new YamlError(lines[at].number, 'unexpected indentation')
  return root
}

export interface ActionInput {
  name: string
  description: string
  required: boolean
  default?: string
}

export interface ActionOutput {
  name: string
  description: string
}

export interface ActionMetadata {
  inputs: ActionInput[]
  outputs: ActionOutput[]
}

function entries(value: YamlValue | undefined, what: string): [string, YamlMap][] {
  if (value === undefined || value === '') return []
  if (typeof value === 'string') throw new Error(`action.yml: "${what}" must be a map`)
  return Object.entries(value).map(([name, v]) => {
    if (typeof v === 'string') throw new Error(`action.yml: ${what}.${name} must be a map with a description`)
    return [name, v]
  })
}

/** The inputs and outputs of an action.yml, in the file's order. */
export function readActionMetadata(source: string): ActionMetadata {
  const doc = parseSimpleYaml(source)
  const text = (v: YamlValue | undefined): string => (typeof v === 'string' ? v.trim() : '')
  return {
    inputs: entries(doc.inputs, 'inputs').map(([name, v]) => ({
      name,
      description: text(v.description),
      required: /^(true|yes|on)$/i.test(text(v.required)),
      ...(typeof v.default === 'string' ? { default: v.default } : {})
    })),
    outputs: entries(doc.outputs, 'outputs').map(([name, v]) => ({ name, description: text(v.description) }))
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** The table of inputs; `types` gives each input's type (every input must have one). */
export function inputsTable(inputs: ActionInput[], types: Readonly<Record<string, string>> = INPUT_TYPES): string {
  const rows = inputs.map((i) => {
    const type = types[i.name]
    if (!type) throw new Error(`action.yml input "${i.name}" has no type in src/inputs/types.ts`)
    const value = i.default !== undefined && i.default !== '' ? `\`${cell(i.default)}\`` : ''
    return `| \`${i.name}\` | ${type} | ${i.required ? 'yes' : 'no'} | ${value} | ${cell(i.description)} |`
  })
  return ['| Input | Type | Required | Default | Description |', '|---|---|---|---|---|', ...rows].join('\n')
}

export function outputsTable(outputs: ActionOutput[]): string {
  return ['| Output | Description |', '|---|---|', ...outputs.map((o) => `| \`${o.name}\` | ${cell(o.description)} |`)].join('\n')
}

/** Replaces what lies between `<!-- name:start -->` and `<!-- name:end -->`; throws when the markers are missing. */
export function replaceBetween(document: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = document.indexOf(start)
  const to = document.indexOf(end)
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} markers`)
  return `${document.slice(0, from + start.length)}\n${content}\n${document.slice(to)}`
}

/** The README with its reference tables regenerated from action.yml (and merge/action.yml, when given). */
export function updateReadme(readme: string, actionYml: string, mergeYml?: string): string {
  const action = readActionMetadata(actionYml)
  let out = replaceBetween(replaceBetween(readme, 'inputs', inputsTable(action.inputs)), 'outputs', outputsTable(action.outputs))
  if (mergeYml !== undefined) {
    const merge = readActionMetadata(mergeYml)
    out = replaceBetween(replaceBetween(out, 'merge-inputs', inputsTable(merge.inputs, MERGE_INPUT_TYPES)), 'merge-outputs', outputsTable(merge.outputs))
  }
  return out
}

function cli(argv: string[]): number {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const readmePath = path.join(root, 'README.md')
  const mode = argv[0]
  if (mode !== '--write' && mode !== '--check') {
    process.stderr.write('Usage: npx tsx scripts/readme.ts --write | --check\n')
    return 2
  }
  const readme = fs.readFileSync(readmePath, 'utf8')
  const updated = updateReadme(readme, fs.readFileSync(path.join(root, 'action.yml'), 'utf8'), fs.readFileSync(path.join(root, 'merge', 'action.yml'), 'utf8'))
  if (mode === '--write') {
    if (updated !== readme) fs.writeFileSync(readmePath, updated)
    process.stdout.write(updated === readme ? 'README.md is up to date.\n' : 'README.md updated from action.yml and merge/action.yml.\n')
    return 0
  }
  if (updated !== readme) {
    process.stderr.write('README.md is out of date with action.yml or merge/action.yml: run `npx tsx scripts/readme.ts --write` and commit README.md.\n')
    return 1
  }
  process.stdout.write('README.md matches action.yml and merge/action.yml.\n')
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = cli(process.argv.slice(2))
}
