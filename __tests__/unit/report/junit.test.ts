import { describe, it, expect } from '@jest/globals'
import { buildReport } from '../../../src/report/model.js'
import { renderJunit, xmlText } from '../../../src/report/junit.js'
import { missingLoaderArm64, passedAmd64, result } from '../../fixtures/outcomes.js'

describe('the JUnit report', () => {
  it('has one test case per platform, the failed one with its reason and cause', () => {
    const xml = renderJunit(buildReport(result([passedAmd64, missingLoaderArm64]), { sizeGated: false }))
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="smokestack" tests="2" failures="1" time="[\d.]+">/)
    expect(xml).toContain('<testcase classname="smokestack" name="linux/amd64" time="4.900"></testcase>')
    expect(xml).toMatch(
      /<testcase classname="smokestack" name="linux\/arm64" time="4\.800">\n {6}<failure message="exec \/app: no such file or directory: [^"]*" type="start-failed">[^<]*missing-loader: loader \/lib\/ld-linux-aarch64\.so\.1 is missing Fix: build with CGO_ENABLED=0<\/failure>/
    )
  })
  it('escapes what XML would read, and drops what it cannot hold', () => {
    expect(xmlText('a<b>&"c"\'\u0000\u001b[31m')).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;[31m')
  })
})
