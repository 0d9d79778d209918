import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError } from '../../../src/context.js'
import { parseMergeInputs } from '../../../src/merge/inputs.js'

let workspace: string
beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-ws-'))
  fs.mkdirSync(path.join(workspace, 'records'))
})
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

const good = { records: 'records', tags: 'ghcr.io/o/app:1.0\nghcr.io/o/app:latest', platforms: 'linux/amd64,linux/arm64/v8' }
function parse(values: Record<string, string>, vars: Record<string, string> = {}) {
  const all: Record<string, string> = { ...good, ...values }
  return parseMergeInputs((name) => all[name] ?? '', workspace, vars)
}
function refused(values: Record<string, string>): InputError {
  try {
    parse(values)
  } catch (e) {
    expect(e).toBeInstanceOf(InputError)
    return e as InputError
  }
  throw new Error('accepted')
}

describe('merge inputs', () => {
  it('reads the records directory, tags, platforms, annotations, and the commit from GITHUB_SHA', () => {
    const i = parse(
      { annotations: 'org.opencontainers.image.source=https://x.test/a\nindex:org.opencontainers.image.version=1.0' },
      { GITHUB_SHA: 'a'.repeat(40) }
    )
    expect(i).toEqual({
      records: path.join(workspace, 'records'),
      tags: ['ghcr.io/o/app:1.0', 'ghcr.io/o/app:latest'],
      platforms: ['linux/amd64', 'linux/arm64'],
      annotations: { 'org.opencontainers.image.source': 'https://x.test/a', 'org.opencontainers.image.version': '1.0' },
      commit: 'a'.repeat(40)
    })
    expect(parse({ commit: 'b'.repeat(40) }, { GITHUB_SHA: 'a'.repeat(40) }).commit).toBe('b'.repeat(40))
    expect(parse({}).commit).toBeUndefined()
  })

  it.each([
    ['records', { records: '' }, /empty; give the directory/],
    ['records', { records: 'missing' }, /no directory/],
    ['records', { records: '../elsewhere' }, /stay inside the workspace/],
    ['tags', { tags: '' }, /at least one image reference/],
    ['tags', { tags: 'Not A Ref' }, /image reference/],
    ['tags', { tags: `ghcr.io/o/app@sha256:${'a'.repeat(64)}` }, /not digests/],
    ['platforms', { platforms: '' }, /list every platform the list must hold/],
    ['platforms', { platforms: 'linux/amd64,linux/x86_64' }, /listed twice/],
    ['annotations', { annotations: 'Bad Key=1' }, /KEY=VALUE/],
    ['annotations', { annotations: 'UPPER.case=1' }, /annotation keys/],
    ['annotations', { annotations: 'manifest:org.opencontainers.image.title=x' }, /the merge annotates the list itself/],
    ['commit', { commit: 'a commit; rm -rf /' }, /commit SHA/]
  ])('refuses bad %s: %j', (input, values, accepted) => {
    const e = refused(values)
    expect(e.input).toBe(input)
    expect(e.message).toContain(`Input "${input}"`)
    expect(e.message).toMatch(accepted)
  })
})
