import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { readActionMetadata } from '../../../scripts/readme.js'
import { InputError } from '../../../src/context.js'
import { readFields, readList } from '../../../src/inputs/list.js'
import { INPUT_TYPES } from '../../../src/inputs/types.js'
import { maskLines, MIN_MASK_LENGTH, parseSecretEnvs, parseSecretFiles, parseSecrets } from '../../../src/inputs/secrets.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')

function errorOf(fn: () => unknown): InputError {
  try {
    fn()
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error('no error')
}

describe('list inputs read like docker/build-push-action reads them', () => {
  const cases: [string, string, boolean, string[]][] = [
    ['commas and newlines (List/CSV)', 'a:1,b:2\nc:3', false, ['a:1', 'b:2', 'c:3']],
    ['spaces around items', '  a , b  \n\n  c  ', false, ['a', 'b', 'c']],
    ['empty items dropped', 'a,,b,\n,', false, ['a', 'b']],
    ['commas kept (List)', 'A=x,y\nB=z', true, ['A=x,y', 'B=z']],
    ['a quoted item spans lines', '"K=line 1\nline 2"\nL=1', true, ['K=line 1\nline 2', 'L=1']],
    ['a doubled quote is a quote', '"J={""k"":""v""}"', true, ['J={"k":"v"}']],
    ['a quote inside an item is kept', 'A="x y"', true, ['A="x y"']],
    ['a quoted lone field is still split (as the toolkit does)', '"a,b"', false, ['a', 'b']],
    ['quoted fields of one record stay whole', '"a,b",c', false, ['a,b', 'c']],
    ['CRLF line ends', 'a\r\nb\r\n', false, ['a', 'b']],
    ['nothing', '', false, []]
  ]
  it.each(cases)('%s', (_, value, ignoreComma, items) => {
    expect(readList('x', value, { ignoreComma })).toEqual(items)
  })

  it('refuses an unclosed quote, naming the line', () => {
    expect(errorOf(() => readList('labels', 'a=1\n"b=2', { ignoreComma: true })).message).toMatch(/Input "labels": a double quote is not closed/)
    expect(errorOf(() => readList('secrets', '"tok=hunter2', { secret: true })).message).not.toContain('hunter2')
  })

  it('reads the key=value fields of one entry', () => {
    expect(readFields('cache-to', 'type=local,dest=/tmp/c,mode=max')).toEqual([
      { key: 'type', value: 'local' },
      { key: 'dest', value: '/tmp/c' },
      { key: 'mode', value: 'max' }
    ])
    expect(readFields('x', '"type=registry,ref=a:b",Mode=min')).toEqual([
      { key: 'type', value: 'registry,ref=a:b' },
      { key: 'mode', value: 'min' }
    ])
    expect(readFields('x', 'user/app:cache')).toEqual([{ key: '', value: 'user/app:cache' }])
  })

  it('has a type for every input of action.yml, and none for an input it lacks', () => {
    const action = readActionMetadata(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
    expect(Object.keys(INPUT_TYPES).sort()).toEqual(action.inputs.map((i) => i.name).sort())
  })
})

describe('secrets in docker/build-push-action syntax', () => {
  const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAA\n-----END OPENSSH PRIVATE KEY-----'

  it('reads a quoted multi-line value as one secret, and masks every line of it', () => {
    const secrets = parseSecrets('secrets', `"KEY=${pem}"\nTOKEN=abcd,efgh=ij`)
    expect(secrets).toEqual([
      { id: 'KEY', value: pem },
      { id: 'TOKEN', value: 'abcd,efgh=ij' }
    ])
    expect(maskLines(secrets[0].value)).toEqual(pem.split('\n'))
    expect(maskLines(secrets[1].value)).toEqual(['abcd,efgh=ij'])
  })

  it("keeps a value's own spaces and quotes", () => {
    expect(parseSecrets('secrets', 'A=  two  spaces  \nJ={"k":"v"}')).toEqual([
      { id: 'A', value: '  two  spaces  ' },
      { id: 'J', value: '{"k":"v"}' }
    ])
    expect(maskLines('  two  spaces  ')).toEqual(['  two  spaces  ', 'two  spaces'])
  })

  it('does not mask the short lines of a multi-line value, which would garble the log', () => {
    expect(maskLines('{\n  "key": "value"\n}')).toEqual(['  "key": "value"', '"key": "value"'])
    expect(maskLines('ab\n\ncd')).toEqual([])
    expect(MIN_MASK_LENGTH).toBe(4)
  })

  // tok=FIRST\nSECOND== : an unquoted second line read as its own entry must not become a secret
  // named SECOND with the value "=" (masking "=" garbles the log), and nothing of it is echoed.
  const refused: [string, string, RegExp][] = [
    ['unquoted second line of a value', 'tok=FIRST\nSECOND==', /entry 2 has a value shorter than 4 characters.*quote that whole entry/],
    ['second line without =', 'tok=FIRST\nSECONDLINE', /entry 2 is not id=value/],
    ['second line ending in =', 'tok=FIRSTLINE\nc2Vjb25k=', /entry 2 has an empty value/],
    ['a one-character value', 'A=x', /entry 1 has a value shorter than 4/],
    ['a value of spaces', 'A=    ', /entry 1 has a value shorter than 4/],
    ['an empty value', 'A=', /entry 1 has an empty value/],
    ['no id', '=s3cr3tv4lue', /entry 1 is not id=value/],
    ['an id with spaces', 'my id=hunter22', /entry 1 is not id=value/],
    ['a multi-line value of short lines', '"A=q7\nz9"', /entry 1 has a value shorter than 4/],
    ['an unclosed quote', '"A=hunter22\nmore', /double quote is not closed/]
  ]
  it.each(refused)('refuses %s without showing it', (_, value, why) => {
    const e = errorOf(() => parseSecrets('secrets', value))
    expect(e.input).toBe('secrets')
    expect(e.message).toMatch(why)
    for (const part of value.split(/[\n=]/).filter((p) => p.trim().length > 1)) expect(e.message).not.toContain(part)
  })

  it('reads secret files and secret environment variables', () => {
    expect(parseSecretFiles('secret-files', 'npmrc=./.npmrc\n"k=dir, with comma/f"')).toEqual([
      { id: 'npmrc', path: './.npmrc' },
      { id: 'k', path: 'dir, with comma/f' }
    ])
    expect(parseSecretEnvs('secret-envs', 'GH=GITHUB_TOKEN,npm=NPM_TOKEN\nx=Y')).toEqual([
      { id: 'GH', env: 'GITHUB_TOKEN' },
      { id: 'npm', env: 'NPM_TOKEN' },
      { id: 'x', env: 'Y' }
    ])
    expect(errorOf(() => parseSecretEnvs('secret-envs', 'a=1BAD')).message).toMatch(/entry 1 names no environment variable .*; it reads "a=1BAD"/)
    expect(errorOf(() => parseSecretEnvs('secret-envs', 'NOEQUALS')).message).toMatch(/entry 1 is not id=VARIABLE/)
    expect(errorOf(() => parseSecretFiles('secret-files', 'id=')).message).toMatch(/entry 1 has an empty path/)
  })
})
