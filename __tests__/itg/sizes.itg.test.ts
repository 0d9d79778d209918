/**
 * The Dockerfile check before anything is built, and sizes through the bundled action: budgets on
 * both sides of the limit, and the change against a baseline pushed to the local registry.
 */
import { describe, it, expect, beforeAll } from '@jest/globals'
import { runAction, type ActionRun } from '../support/action.js'
import { dockerOut, leftovers, REGISTRY, uniqueName } from '../support/docker.js'

let before: ReturnType<typeof leftovers>
beforeAll(() => {
  before = leftovers()
})

function errors(run: ActionRun): string {
  return run.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n')
}

describe('the Dockerfile, before anything is built', () => {
  it('refuses an unknown target at once, listing the stages', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go', target: 'biuld_bin' } })
    expect(run.exitCode).toBe(1)
    expect(errors(run)).toMatch(/Input "target": no stage named "biuld_bin" .*stages: build_bin/)
    expect(errors(run)).toMatch(/Did you mean "build_bin"\?/)
    expect(run.stdout).not.toMatch(/buildx build/)
    expect(run.outputs.results).toBeUndefined()
    expect(leftovers()).toEqual(before)
  })

  it('builds the stage named by target', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go', target: 'build_bin', 'smoke-args': 'go version' } })
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.outputs.results)['linux/amd64'].smoke.outcome).toBe('exited')
  })

  it('fails on advice only when fail-on-advice is true', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go-cgo', 'fail-on-advice': 'true' } })
    expect(run.exitCode).toBe(1)
    expect(errors(run)).toMatch(/fail-on-advice is true .* cgo-on-musl/)
    const warning = run.annotations.find((a) => a.level === 'warning' && a.props.title === 'smokestack: cgo-on-musl')
    expect(warning?.props.file).toBe('examples/hello-go-cgo/Dockerfile')
    expect(warning?.props.line).toBe('6')
    expect(run.stdout).not.toMatch(/buildx build/)
  })
})

describe('sizes through the action', () => {
  it('passes a budget above the size and fails one below it, naming size, budget and platform', async () => {
    const pass = await runAction({ inputs: { context: 'examples/hello-go', 'max-size': '50MB' } })
    expect(pass.exitCode).toBe(0)
    const size = Number(pass.outputs.size)
    expect(size).toBe(JSON.parse(pass.outputs.results)['linux/amd64'].size)
    const fail = await runAction({ inputs: { context: 'examples/hello-go', 'max-size': String(size - 1) } })
    expect(fail.exitCode).toBe(1)
    expect(errors(fail)).toMatch(/(^|\n)linux\/amd64: size on disk .* exceeds max-size/)
    const compressed = await runAction({ inputs: { context: 'examples/hello-go', 'max-size': '1kB', 'size-metric': 'compressed' } })
    expect(compressed.exitCode).toBe(1)
    expect(errors(compressed)).toMatch(/compressed size .* exceeds max-size 1 kB/)
  })

  it('compares compressed sizes with a baseline, per platform, with added and removed platforms', async () => {
    const repo = `${REGISTRY}/${uniqueName('smokestack-itg/baseline')}`
    // The baseline: a smaller image (no Go binary) for amd64 and arm64.
    const base = await runAction({
      inputs: {
        context: '__tests__/fixtures/projects/server',
        platforms: 'linux/amd64,linux/arm64',
        push: 'true',
        tags: `${repo}:latest`,
        'smoke-timeout': '1s'
      }
    })
    expect(base.exitCode).toBe(0)
    const baseSizes = JSON.parse(base.outputs.sizes)

    const run = await runAction({
      inputs: { context: 'examples/cross-compile', platforms: 'linux/amd64,linux/arm/v7', 'compare-to': `${repo}:latest`, 'max-growth': '5%' }
    })
    const sizes = JSON.parse(run.outputs.sizes)
    expect(sizes['linux/amd64'].delta).toBe(sizes['linux/amd64'].compressedSize - baseSizes['linux/amd64'].compressedSize)
    expect(sizes['linux/amd64'].delta).toBeGreaterThan(0)
    expect(sizes['linux/arm/v7'].delta).toBe(sizes['linux/arm/v7'].compressedSize) // added: all of it is new
    expect(run.summary).toMatch(/linux\/arm64: in the baseline, not built now \(removed\)/)
    expect(Number(run.outputs['size-delta'])).toBe(sizes['linux/amd64'].delta)
    // It grew past max-growth: the step fails, naming the platform.
    expect(run.exitCode).toBe(1)
    expect(errors(run)).toMatch(/linux\/amd64/)
    expect(dockerOut(['buildx', 'imagetools', 'inspect', `${repo}:latest`, '--format', '{{json .Manifest}}'])).toContain('manifests')
  })

  it('warns and goes on when the baseline cannot be read', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go', 'compare-to': `${REGISTRY}/no/such-image:latest` } })
    expect(run.exitCode).toBe(0)
    expect(run.annotations.some((a) => a.level === 'warning' && /Baseline .*no\/such-image:latest could not be read/.test(a.message))).toBe(true)
    expect(run.outputs['size-delta']).toBe('')
  })
})
