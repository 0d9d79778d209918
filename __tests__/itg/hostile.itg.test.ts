/**
 * Hostile and careless input, driven through the bundled action on the real engine: each case asserts the
 * verdict, the message, and that nothing is left behind.
 */
import { describe, it, expect } from '@jest/globals'
import { runAction, type ActionRun } from '../support/action.js'
import { REGISTRY, uniqueName } from '../support/docker.js'
import { leftoverCheck } from '../support/leftovers.js'

const expectClean = leftoverCheck()

/** The log the runner shows: everything main wrote, workflow commands included. */
function log(run: ActionRun): string {
  return run.stdout
}

describe('hostile input through the action', () => {
  it('keeps the cause of a failing build in the log when the build printed 200 KB first (stdout a pipe)', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/big-log-fail' } })
    expect(run.exitCode).toBe(1)
    const text = log(run)
    expect(text).toContain('compile error: main.go:3: undefined: fmt.Printn')
    // The error annotation is written after the long output, and reaches the runner.
    expect(run.annotations.some((a) => a.level === 'error' && /linux\/amd64: build failed/.test(a.message))).toBe(true)
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^::error::1 of 1 platform\(s\) failed: linux\/amd64$/)
    // No log line is longer than the bound kept for a build log's lines.
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThan(20_000)
    expectClean(run)
  })

  it("shows a crash's last lines in its log group and in its annotation", async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/exit-nonzero' } })
    expect(run.exitCode).toBe(1)
    const group = /::group::linux\/amd64: look inside and start\n([\s\S]*?)::endgroup::/.exec(log(run))?.[1] ?? ''
    expect(group).toContain('exited with code 3')
    expect(group).toContain('fatal: config file /etc/app.conf not found')
    const annotation = run.annotations.find((a) => a.props.title === 'smokestack: linux/amd64 failed')
    expect(annotation?.message).toContain('exited with code 3')
    expect(annotation?.message).toContain('fatal: config file /etc/app.conf not found')
    expectClean(run)
  })

  it('quotes container output so that it cannot end its code block or render as Markdown', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/markdown-output' } })
    expect(run.exitCode).toBe(1)
    const md = run.summary
    const block = /(`{5,})text\n([\s\S]*?)\n\1/.exec(md)
    // The fence is longer than any run of backticks in the output, so the output stays inside it.
    expect(block?.[2]).toContain('# Injected heading')
    expect(block?.[2]).toContain('<img src=x onerror=alert(1)>')
    const outside = md.replace(block?.[0] ?? '', '')
    expect(outside).not.toContain('# Injected heading')
    expect(outside).not.toContain('<img')
    expect(outside.match(/<\/details>/g)?.length).toBe(outside.match(/<details/g)?.length)
    expectClean(run)
  })

  it('keeps a credential passed as a build argument out of the summary and the log', async () => {
    const token = `ghp_${'Zq7'.repeat(12)}`
    const run = await runAction({
      inputs: { context: '__tests__/fixtures/projects/build-arg-token', 'build-args': `API_TOKEN=${token}` },
      env: { RUNNER_DEBUG: '1' }
    })
    expect(run.exitCode).toBe(0)
    expect(run.summary).not.toContain(token)
    expect(run.summary).toMatch(/RUN test -n &quot;\$API_TOKEN&quot; .* \(1 build argument not shown\)/)
    // The runner masks what was registered as a secret: the value is registered before it could be printed.
    const mask = run.stdout.indexOf(`::add-mask::${token}`)
    expect(mask).toBeGreaterThanOrEqual(0)
    expect(run.stdout.slice(0, mask)).not.toContain(token)
    expect(run.annotations.some((a) => a.level === 'warning' && /build-arg API_TOKEN looks like a credential/.test(a.message))).toBe(true)
    expectClean(run)
  })

  it('says plainly that the growth gate was not applied when the baseline cannot be read', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go', 'compare-to': `${REGISTRY}/${uniqueName('no/such')}:latest`, 'max-growth': '5%' } })
    expect(run.exitCode).toBe(0)
    expect(run.summary).toContain('The max-growth gate was NOT applied')
    expect(run.annotations.some((a) => a.level === 'warning' && /max-growth gate was NOT applied/.test(a.message))).toBe(true)
    expectClean(run)
  })

  it("shows the daemon's own error when the QEMU installer image cannot be had", async () => {
    const run = await runAction({
      inputs: { context: 'examples/cross-compile', platforms: 'linux/arm64', 'setup-qemu': 'true', 'qemu-image': `${REGISTRY}/no/such-binfmt:1` }
    })
    expect(run.exitCode).toBe(1)
    const error = run.annotations
      .filter((a) => a.level === 'error')
      .map((a) => a.message)
      .join('\n')
    expect(error).toMatch(/QEMU installation failed: .*Error response from daemon/)
    expect(error).not.toContain("Run 'docker run --help'")
    expectClean(run)
  })
})
