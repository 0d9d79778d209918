/**
 * The start check's verdicts on the real engine, through the bundled action: a crash is judged by
 * the container's real state even when the wait times out first; an image with nothing to start is
 * a finding for its platform while every other platform goes on; a crash's own output is in the
 * results, defused; a crash that could not reach the network says how to give it one.
 */
import { describe, expect, it } from '@jest/globals'
import { runAction, type ActionRun } from '../support/action.js'
import { useProjects } from '../support/projects.js'

const { project } = useProjects('start-check')

interface Result {
  status: string
  buildMs?: number
  smoke: { outcome: string; exitCode: number | null; message: string }
  findings: { code: string; severity: string; message: string; fix?: string }[]
  error?: string
}
const results = (run: ActionRun): Record<string, Result> => JSON.parse(run.outputs.results)

describe('the start check', () => {
  it('judges a crash by its exit code although the wait timed out first (smoke-timeout: 100ms)', async () => {
    const context = project('crash', 'FROM alpine:3.12.2\nENTRYPOINT ["sh","-c","echo boom; exit 3"]\n')
    const run = await runAction({ inputs: { context, 'smoke-timeout': '100ms' } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']!
    expect(r.smoke).toMatchObject({ outcome: 'crashed', exitCode: 3, message: 'exited with code 3' })
    expect(r.status).toBe('failed')
    expect(run.summary).toContain('boom')
  }, 600_000)

  it('reports an image with nothing to start as no-entrypoint for that platform, and goes on with the others', async () => {
    const context = project('scratch', 'FROM scratch\nCOPY Dockerfile /Dockerfile\n')
    const run = await runAction({ inputs: { context, platforms: 'linux/amd64,linux/arm64' } })
    expect(run.exitCode).toBe(1)
    const all = results(run)
    expect(Object.keys(all)).toEqual(['linux/amd64', 'linux/arm64'])
    for (const r of Object.values(all)) {
      expect(r.buildMs).toBeGreaterThan(0)
      expect(r.smoke).toMatchObject({ outcome: 'not-started', exitCode: null })
      expect(r.smoke.message).toBe('not started: the image has neither ENTRYPOINT nor CMD, and no smoke-args were given, so there is no command to run')
      expect(r.findings.map((f) => f.code)).toEqual(['no-entrypoint'])
    }
    expect(run.stdout).not.toContain('no command specified')
  }, 600_000)

  it('keeps a crash’s own output, with workflow commands in it defused', async () => {
    const context = project(
      'hostile',
      'FROM alpine:3.12.2\nENTRYPOINT ["sh","-c","echo \'::error title=pwned::pwned\'; echo \'::add-mask::x\'; printf \'\\\\033[31mred\\\\033[0m\\\\n\'; exit 4"]\n'
    )
    const run = await runAction({ inputs: { context } })
    expect(run.exitCode).toBe(1)
    expect(run.annotations.some((a) => a.message.includes('pwned') && a.props.title === 'pwned')).toBe(false)
    expect(run.summary).toContain(': :error title=pwned::pwned')
    expect(run.summary).toContain('\nred\n')
    expect(run.summary).not.toContain('\x1b[')
  }, 600_000)

  it('says the check has no network, and how to give it one, when a crash looks like a network failure', async () => {
    const context = project('connects-out', 'FROM alpine:3.12.2\nENTRYPOINT ["wget", "-q", "-O-", "http://example.com/"]\n')
    const run = await runAction({ inputs: { context } })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']!
    expect(r.smoke.outcome).toBe('crashed')
    const hint = r.findings.find((f) => f.code === 'network-disabled')
    expect(hint).toMatchObject({ severity: 'warning' })
    expect(hint!.message).toContain("(`wget: bad address 'example.com'`)")
    expect(hint!.message).toContain('`--network none`')
    expect(hint!.fix).toContain('smoke-network: bridge')
    expect(run.annotations.some((a) => a.level === 'warning' && a.props.title === 'smokestack: network-disabled')).toBe(true)
    // With a network given, there is no such hint (the lookup fails for want of DNS here, not of a network).
    const bridged = await runAction({ inputs: { context, 'smoke-network': 'bridge' } })
    expect(results(bridged)['linux/amd64']!.findings.some((f) => f.code === 'network-disabled')).toBe(false)
  }, 600_000)
})
