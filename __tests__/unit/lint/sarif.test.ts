/** The SARIF output against the SARIF 2.1.0 JSON schema (as the SARIF SDK ships it), and what code scanning reads from it. */
import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import { FINDING_CODES } from '../../../src/findings.js'
import { lintFiles } from '../../../src/lint/lint.js'
import { renderSarif, toUri } from '../../../src/lint/sarif.js'

const require = createRequire(import.meta.url)
const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default
const schema = JSON.parse(fs.readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object
// The schema's pattern for a language tag is not valid with the u flag; without it, it reads as written.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false })
addFormats(ajv)
const validate = ajv.compile(schema)

const options = { platforms: ['linux/amd64', 'linux/arm64'], nativePlatforms: ['linux/amd64'], buildArgs: {}, ignore: [] }
const files = [
  {
    path: 'build/app one/Dockerfile',
    content: 'FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine:3.19\nRUN apk add \\\n  curl\nCOPY --from=build /app /app\n'
  },
  { path: 'broken.Dockerfile', content: 'RUN echo\nFROM alpine\n' },
  { path: 'clean.Dockerfile', content: 'FROM scratch\n' }
]

describe('SARIF', () => {
  const log = JSON.parse(renderSarif(lintFiles(files, options)))

  it('validates against the SARIF 2.1.0 schema', () => {
    const valid = validate(log)
    expect(validate.errors ?? []).toEqual([])
    expect(valid).toBe(true)
  })

  it('a schema violation is caught (the validator is not vacuous)', () => {
    const broken = structuredClone(log)
    broken.runs[0].results[0].level = 'fatal'
    delete broken.version
    expect(validate(broken)).toBe(false)
    const badUri = structuredClone(log)
    badUri.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'a b\\c'
    expect(validate(badUri)).toBe(false)
  })

  it('names one rule per advice code with the table title and help, and each result at its file and lines', () => {
    const { rules } = log.runs[0].tool.driver
    const advice = Object.entries(FINDING_CODES).filter(([, info]) => info.source === 'dockerfile')
    expect(rules.map((r: { id: string }) => r.id)).toEqual(advice.map(([code]) => code))
    for (const rule of rules) {
      const info = FINDING_CODES[rule.id as keyof typeof FINDING_CODES]
      expect([rule.shortDescription.text, rule.help.text]).toEqual([info.title, info.help])
    }
    const results = log.runs[0].results.map(
      (r: {
        ruleId: string
        ruleIndex: number
        level: string
        locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; endLine: number } } }>
      }) => {
        const { artifactLocation, region } = r.locations[0].physicalLocation
        expect(rules[r.ruleIndex].id).toBe(r.ruleId)
        return [r.ruleId, r.level, artifactLocation.uri, region.startLine, region.endLine]
      }
    )
    expect(results).toEqual([
      ['cgo-on-musl', 'warning', 'build/app%20one/Dockerfile', 2, 2],
      ['emulated-compile', 'warning', 'build/app%20one/Dockerfile', 1, 1],
      ['apk-cache', 'warning', 'build/app%20one/Dockerfile', 4, 5],
      ['dockerfile-invalid', 'error', 'broken.Dockerfile', 1, 1]
    ])
  })

  it('is valid for the whole Dockerfile corpus too', () => {
    const root = new URL('../../../fixtures/dockerfiles/', import.meta.url)
    const corpus = fs.readdirSync(root).map((name) => {
      const { file } = JSON.parse(fs.readFileSync(new URL(`${name}/EXPECT.json`, root), 'utf8')) as { file: string }
      return { path: `fixtures/dockerfiles/${name}/${file}`, content: fs.readFileSync(new URL(`${name}/${file}`, root), 'utf8') }
    })
    const sarif = JSON.parse(renderSarif(lintFiles(corpus, options)))
    expect(validate(sarif) ? [] : validate.errors).toEqual([])
    expect(sarif.runs[0].results.length).toBeGreaterThan(20)
  })

  it('writes paths as relative URI references', () => {
    expect(toUri('./a b/Dockerfile#1')).toBe('a%20b/Dockerfile%231')
    expect(toUri('dir\\Dockerfile')).toBe('dir/Dockerfile')
  })
})
