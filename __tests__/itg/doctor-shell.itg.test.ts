/**
 * Shell-form entrypoints in the bundled action: scripts that start and exit 0 pass (the doctor
 * claims no missing program it cannot know), and a simple command's missing program is still named.
 */
import { describe, expect, it } from '@jest/globals'
import { runAction } from '../support/action.js'
import { useProjects } from '../support/projects.js'

const { project } = useProjects('doctor-shell')

interface Result {
  status: string
  smoke: { outcome: string; exitCode: number | null }
  findings: { code: string; severity: string; message: string }[]
}

describe('shell-form entrypoints', () => {
  it('passes scripts that are more than a simple command and exit 0', async () => {
    const substitution = project('substitution', 'FROM alpine:3.12.2\nENTRYPOINT ["sh","-c","x=$(echo hi | tr h H); echo $x"]\n')
    const pathChange = project(
      'path-change',
      'FROM alpine:3.12.2\nRUN mkdir -p /opt/x/bin && printf \'#!/bin/sh\\necho myapp ran\\n\' > /opt/x/bin/myapp && chmod +x /opt/x/bin/myapp\nENTRYPOINT ["sh","-c","PATH=/opt/x/bin:$PATH; myapp"]\n'
    )
    for (const context of [substitution, pathChange]) {
      const run = await runAction({ inputs: { context } })
      const r = (JSON.parse(run.outputs.results) as Record<string, Result>)['linux/amd64']!
      expect([context, run.exitCode, r.status, r.smoke.outcome, r.smoke.exitCode]).toEqual([context, 0, 'passed', 'exited', 0])
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([])
    }
  }, 600_000)

  it('names the missing program of a simple command', async () => {
    const context = project('simple-missing', 'FROM alpine:3.12.2\nENTRYPOINT ["sh","-c","exec myapp --serve"]\n')
    const run = await runAction({ inputs: { context } })
    expect(run.exitCode).toBe(1)
    const r = (JSON.parse(run.outputs.results) as Record<string, Result>)['linux/amd64']!
    expect(r.smoke.outcome).toBe('crashed')
    expect(r.smoke.exitCode).toBe(127)
    expect(r.findings.find((f) => f.code === 'entrypoint-missing')?.message).toBe(
      "The command run by the shell form cannot be found: `myapp` is not in any directory of the image's PATH."
    )
  }, 600_000)
})
