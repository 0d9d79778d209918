import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { MERGE_INPUT_TYPES } from '../../../src/inputs/types.js'
import { inputsTable, outputsTable, parseSimpleYaml, readActionMetadata, replaceBetween, updateReadme, YamlError } from '../../../scripts/readme.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const actionYml = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')
const mergeYml = fs.readFileSync(path.join(ROOT, 'merge', 'action.yml'), 'utf8')

describe('parseSimpleYaml', () => {
  it('reads nested maps, plain, quoted and block scalars, and skips comments', () => {
    const doc = parseSimpleYaml(
      [
        '# comment',
        'name: app # trailing comment',
        'inputs:',
        '  a:',
        "    description: 'It''s `quoted`: yes'",
        '    default: "x\\ty"',
        '',
        '  b:',
        '    description: |',
        '      line one',
        '      line two',
        '    required: true',
        '  c:',
        '    description: >-',
        '      folded',
        '      text',
        'runs:',
        '  using: node24'
      ].join('\n')
    )
    expect(doc).toEqual({
      name: 'app',
      inputs: {
        a: { description: "It's `quoted`: yes", default: 'x\ty' },
        b: { description: 'line one\nline two\n', required: 'true' },
        c: { description: 'folded text' }
      },
      runs: { using: 'node24' }
    })
  })

  it('names the line of what it cannot read', () => {
    expect(() => parseSimpleYaml('a:\n  - x')).toThrow(YamlError)
    expect(() => parseSimpleYaml('a:\n  - x')).toThrow(/line 2/)
    expect(() => parseSimpleYaml("a: 'open")).toThrow(/line 1: unterminated/)
    expect(() => parseSimpleYaml('a: 1\n   b: 2')).toThrow(/line 2: unexpected indentation/)
    expect(() => parseSimpleYaml('a: 1\na: 2')).toThrow(/given twice/)
  })
})

describe('the reference generated from action.yml', () => {
  const action = readActionMetadata(actionYml)

  it('reads every input and output of action.yml with its default', () => {
    const names = [...actionYml.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1])
    expect([...action.inputs.map((i) => i.name), ...action.outputs.map((o) => o.name)]).toEqual(names)
    expect(action.inputs.find((i) => i.name === 'push')).toMatchObject({ default: 'false', required: false })
    expect(action.inputs.find((i) => i.name === 'smoke-timeout')?.default).toBe('10s')
    expect(action.inputs.find((i) => i.name === 'file')?.default).toBeUndefined()
    expect(action.outputs.find((o) => o.name === 'cache-hit')?.description).toBe('`true`, `false` or `partial` (restored from an older key).')
  })

  it('renders one table row per input and output, escaping pipes', () => {
    const table = inputsTable([{ name: 'x', description: 'a | b', required: true, default: '1' }], { x: 'List' })
    expect(table.split('\n')).toEqual(['| Input | Type | Required | Default | Description |', '|---|---|---|---|---|', '| `x` | List | yes | `1` | a \\| b |'])
    expect(() => inputsTable([{ name: 'untyped', description: '', required: false }], {})).toThrow(/"untyped" has no type/)
    expect(outputsTable(action.outputs).split('\n')).toHaveLength(action.outputs.length + 2)
  })

  it('replaces only what lies between the markers, and needs them', () => {
    expect(replaceBetween('a\n<!-- t:start -->\nold\n<!-- t:end -->\nb', 't', 'new')).toBe('a\n<!-- t:start -->\nnew\n<!-- t:end -->\nb')
    expect(() => replaceBetween('no markers', 't', 'x')).toThrow(/<!-- t:start -->/)
  })

  it('is up to date in README.md', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    expect(updateReadme(readme, actionYml, mergeYml)).toBe(readme)
  })

  it('covers the merge action too: its inputs and outputs, in its own tables', () => {
    const merge = readActionMetadata(mergeYml)
    expect(merge.inputs.map((i) => [i.name, i.required])).toEqual([
      ['records', true],
      ['tags', true],
      ['platforms', true],
      ['annotations', false],
      ['commit', false]
    ])
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('<!-- merge-inputs:start -->'), readme.indexOf('<!-- merge-outputs:end -->'))
    for (const i of merge.inputs) expect(section).toContain(`| \`${i.name}\` | ${MERGE_INPUT_TYPES[i.name]} | ${i.required ? 'yes' : 'no'} |`)
    for (const o of merge.outputs) expect(section).toContain(`| \`${o.name}\` |`)
  })
})

describe('the migration table from docker/build-push-action', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('<!-- migration:start -->'), readme.indexOf('<!-- migration:end -->'))
  const rows = new Map(
    [...table.matchAll(/^\| (?:output )?`([a-z-]+)` \| ([a-z ]+) \|(.*)\|$/gm)].map((m) => [
      `${m[0].startsWith('| output') ? 'output ' : ''}${m[1]}`,
      { status: m[2], how: m[3] }
    ])
  )
  // The names of docker/build-push-action's action.yml, kept in a fixture (its header says which version).
  const fixture = fs.readFileSync(path.join(ROOT, '__tests__/fixtures/build-push-action/names.txt'), 'utf8').split('\n')
  const names = { inputs: [] as string[], outputs: [] as string[] }
  let section: 'inputs' | 'outputs' | undefined
  for (const line of fixture) {
    if (line === '[inputs]' || line === '[outputs]') section = line.slice(1, -1) as 'inputs' | 'outputs'
    else if (line.trim() && !line.startsWith('#') && section) names[section].push(line.trim())
  }
  const action = readActionMetadata(actionYml)

  it('reads the fixture: 33 inputs and 3 outputs of v7.3.0', () => {
    expect(fixture[0]).toMatch(/docker\/build-push-action v7\.3\.0/)
    expect([names.inputs.length, names.outputs.length]).toEqual([33, 3])
  })

  it('has one row for every input and output, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...names.inputs, ...names.outputs.map((o) => `output ${o}`)].sort())
  })

  it('says same, different or not supported (yet), and how, unless it is the same', () => {
    for (const [name, row] of rows) {
      expect(['same', 'different', 'not supported', 'not supported yet']).toContain(row.status)
      if (row.status !== 'same') expect({ name, how: row.how.trim().length > 20 }).toEqual({ name, how: true })
    }
  })

  it('names an input of smokestack for every row, so even what is refused is refused by name', () => {
    const ours = new Set([...action.inputs.map((i) => i.name), ...action.outputs.map((o) => `output ${o.name}`)])
    const missing = [...rows.keys()].filter((name) => !ours.has(name) && !(name === 'output metadata'))
    expect(missing).toEqual([])
  })
})

describe('the actions metadata', () => {
  it.each(['action.yml', 'merge/action.yml'])('%s is YAML the runner reads, and reads the same as the generator reads it', async (file) => {
    const { parse } = await import('yaml')
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8')
    const doc = parse(text, { strict: true, uniqueKeys: true }) as {
      inputs: Record<string, { description: string; default?: string }>
      outputs: Record<string, { description: string }>
      runs: { using: string }
    }
    expect(doc.runs.using).toBe('node24')
    const ours = readActionMetadata(text)
    expect(ours.inputs.map((i) => [i.name, i.description])).toEqual(Object.entries(doc.inputs).map(([name, i]) => [name, i.description]))
    expect(ours.outputs.map((o) => [o.name, o.description])).toEqual(Object.entries(doc.outputs).map(([name, o]) => [name, o.description]))
  })
})
