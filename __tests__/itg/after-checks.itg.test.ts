/**
 * What happens after the checks, through the bundled action on the real engine: the user's own test command
 * per platform (pass, and a failure that stops publishing), `load` leaving the tested image under the user's
 * tags for later steps, and buildx's metadata as an output.
 */
import { describe, it, expect, afterAll } from '@jest/globals'
import { errorsOf, runAction } from '../support/action.js'
import { dockerOut, REGISTRY, registryStatus, uniqueName } from '../support/docker.js'
import { leftoverCheck } from '../support/leftovers.js'

const expectClean = leftoverCheck()
const loadedTags: string[] = []
afterAll(() => {
  for (const tag of loadedTags) dockerOut(['image', 'rm', '--no-prune', tag])
})

function results(run: { outputs: Record<string, string> }): Record<string, { status: string; error?: string; test?: { exitCode: number } }> {
  return JSON.parse(run.outputs.results) as never
}

describe('after the checks', () => {
  it('runs the test command once per platform with IMAGE and PLATFORM, and reports buildx metadata per platform', async () => {
    const run = await runAction({
      inputs: {
        context: 'examples/cross-compile',
        platforms: 'linux/amd64,linux/arm64',
        'test-command': 'out=$(docker run --rm --network none --platform "$PLATFORM" "$IMAGE") && echo "tested $PLATFORM: $out"'
      }
    })
    expect(run.exitCode).toBe(0)
    for (const p of ['linux/amd64', 'linux/arm64']) {
      expect(results(run)[p].test?.exitCode).toBe(0)
      const group = new RegExp(`::group::${p}: test command\\n[\\s\\S]*?tested ${p}: [\\s\\S]*?::endgroup::`)
      expect(run.stdout).toMatch(group)
    }
    const metadata = JSON.parse(run.outputs.metadata) as Record<string, Record<string, unknown>>
    expect(Object.keys(metadata).sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect(metadata['linux/amd64']['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/)
    expectClean(run)
  })

  it('fails a platform whose test command fails, shows its output, and publishes nothing', async () => {
    const repo = uniqueName('smokestack-itg/tested')
    const run = await runAction({
      inputs: {
        context: 'examples/hello-go',
        'test-command': 'echo "ran 10 tests"; echo "suite failed: 3 of 10 against $IMAGE" >&2; exit 7',
        push: 'true',
        tags: `${REGISTRY}/${repo}:1.0.0`
      }
    })
    expect(run.exitCode).toBe(1)
    const r = results(run)['linux/amd64']
    expect(r.status).toBe('failed')
    expect(r.test?.exitCode).toBe(7)
    expect(r.error).toBe('the test command exited with code 7')
    expect(errorsOf(run)).toMatch(
      /linux\/amd64: the test command exited with code 7\nLast lines of its output:\n(.*\n)*suite failed: 3 of 10 against smokestack-local\//
    )
    expect(run.summary).toContain('suite failed: 3 of 10')
    expect(registryStatus(`/v2/${repo}/tags/list`)).toBe(404)
    expectClean(run)
  })

  it('leaves the tested image under the given tags with load, for the steps after it', async () => {
    const tag = `${uniqueName('smokestack-itg-load/app')}:1`
    loadedTags.push(tag)
    const run = await runAction({ inputs: { context: 'examples/hello-go', load: 'true', tags: tag } })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.loaded).toBe(tag)
    // After the post step: the image under the user's tag is the tested one, and starts.
    expect(dockerOut(['image', 'inspect', '--format', '{{.Id}}', tag])).toBe(JSON.parse(run.outputs.results)['linux/amd64'].imageId)
    expect(dockerOut(['run', '--rm', '--network', 'none', tag])).toContain('Hello')
    expectClean(run)
  })
})
