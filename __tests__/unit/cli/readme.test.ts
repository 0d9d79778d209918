import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
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
      inputs: { a: { description: "It's `quoted`: yes", default: 'x\ty' }, b: { description: 'line one\nline two\n', required: 'true' }, c: { description: 'folded text' } },
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
    const table = inputsTable([{ name: 'x', description: 'a | b', required: true, default: '1' }])
    expect(table.split('\n')).toEqual(['| Input | Required | Default | Description |', '|---|---|---|---|', '| `x` | yes | `1` | a \\| b |'])
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
    expect(merge.inputs.map((i) => [i.name, i.required])).toEqual([['records', true], ['tags', true], ['platforms', true], ['annotations', false], ['commit', false]])
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('<!-- merge-inputs:start -->'), readme.indexOf('<!-- merge-outputs:end -->'))
    for (const i of merge.inputs) expect(section).toContain(`| \`${i.name}\` | ${i.required ? 'yes' : 'no'} |`)
    for (const o of merge.outputs) expect(section).toContain(`| \`${o.name}\` |`)
  })
})
