/**
 * Faults injected for real: no engine, no buildx, a failing QEMU installer, a registry that is away
 * or refuses a push midway, a container that ignores SIGTERM, a cancelled run, and build secrets.
 * Every case counts leftovers before and after.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as os from 'node:os'
import * as path from 'node:path'
import { errorsOf, runAction } from '../support/action.js'
import { REGISTRY, registryStatus, uniqueName } from '../support/docker.js'
import { leftoverCheck } from '../support/leftovers.js'

const expectClean = leftoverCheck()

const failure = errorsOf

describe('faults', () => {
  it('names the endpoint when the engine is not reachable', async () => {
    const run = await runAction({ inputs: { context: 'examples/hello-go' }, env: { DOCKER_HOST: 'unix:///tmp/no-engine-here.sock' } })
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(/Docker engine is not reachable at DOCKER_HOST=unix:\/\/\/tmp\/no-engine-here\.sock/)
    expect(failure(run)).toMatch(/Start the engine/)
    expectClean(run)
  })

  it('says how to get buildx when the plugin is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-plugins-'))
    // A private mount namespace hides the plugin directories from this one run only.
    const hide = ['/usr/local/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins'].filter((d) => fs.existsSync(d))
    const script = `${hide.map((d) => `mount --bind "$0" ${d}`).join(' && ')} && exec "$@"`
    const run = await runAction({ inputs: { context: 'examples/hello-go' }, wrap: ['unshare', '-m', 'sh', '-c', script, empty], env: { HOME: empty } })
    fs.rmSync(empty, { recursive: true })
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(/docker buildx is not available/)
    expect(failure(run)).toMatch(/install the buildx plugin/)
    expectClean(run)
  })

  it('says when buildx is too old', async () => {
    // A plugin that reports an old version, found first through DOCKER_CONFIG/cli-plugins.
    const config = fs.mkdtempSync(path.join(os.tmpdir(), 'old-buildx-'))
    fs.mkdirSync(path.join(config, 'cli-plugins'))
    fs.writeFileSync(
      path.join(config, 'cli-plugins', 'docker-buildx'),
      [
        '#!/bin/sh',
        `if [ "$1" = docker-cli-plugin-metadata ]; then echo '{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"v0.9.1"}'; exit 0; fi`,
        'if [ "$2" = version ]; then echo "github.com/docker/buildx v0.9.1 ed00243"; exit 0; fi',
        'echo "buildx 0.9.1 cannot do that" >&2; exit 1',
        ''
      ].join('\n'),
      { mode: 0o755 }
    )
    const run = await runAction({ inputs: { context: 'examples/hello-go' }, env: { DOCKER_CONFIG: config } })
    fs.rmSync(config, { recursive: true })
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(/buildx 0\.9\.1 is too old: smokestack needs buildx 0\.10\.0 or newer/)
    expectClean(run)
  })

  it('fails clearly when the QEMU installer fails', async () => {
    const run = await runAction({
      inputs: { context: 'examples/cross-compile', platforms: 'linux/arm64', 'setup-qemu': 'true', 'qemu-image': 'alpine:3.12.2' }
    })
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(/QEMU installation failed: "docker run --privileged alpine:3\.12\.2"/)
    expect(failure(run)).toMatch(/qemu-image/)
    expectClean(run)
  })

  it('names the registry when it is not there, before anything is uploaded', async () => {
    const tag = '127.0.0.1:5999/nowhere/app:1.0.0'
    const run = await runAction({ inputs: { context: 'examples/hello-go', push: 'true', tags: tag } })
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(
      /Nothing was pushed: its destination cannot be pushed to\.\n- 127\.0\.0\.1:5999\/nowhere\/app: 127\.0\.0\.1:5999 is unreachable: connect ECONNREFUSED 127\.0\.0\.1:5999/
    )
    expectClean(run)
  })

  describe('a registry that refuses the push midway', () => {
    let proxy: http.Server
    let port = 0
    let manifestPuts = 0
    beforeAll(async () => {
      // Forwards to the real registry; refuses the second manifest upload.
      proxy = http.createServer((req, res) => {
        if (req.method === 'PUT' && /\/manifests\//.test(req.url ?? '')) {
          manifestPuts++
          if (manifestPuts === 2) {
            req.resume()
            res.writeHead(500, { 'Content-Type': 'application/json' })
            res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'storage backend failed' }] }))
            return
          }
        }
        const upstream = http.request({ host: '127.0.0.1', port: 5000, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        })
        upstream.on('error', () => res.destroy())
        req.pipe(upstream)
      })
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      port = (proxy.address() as { port: number }).port
    })
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())))

    it('stops, names the platform, and publishes no tag', async () => {
      const repo = uniqueName('smokestack-itg/midway')
      const run = await runAction({
        inputs: { context: 'examples/cross-compile', platforms: 'linux/amd64,linux/arm64', push: 'true', tags: `127.0.0.1:${port}/${repo}:1.0.0` }
      })
      expect(run.exitCode).toBe(1)
      expect(manifestPuts).toBe(2)
      expect(failure(run)).toMatch(
        new RegExp(`the upload of the linux/arm64 manifest sha256:[0-9a-f]{64} to 127\\.0\\.0\\.1:${port}/${repo} failed: 500 UNKNOWN: storage backend failed`)
      )
      expect(registryStatus(`/v2/${repo}/manifests/1.0.0`)).toBe(404)
      expectClean(run)
    })
  })

  it('publishes nothing when the engine fails to save a tested image for publishing, and names its error', async () => {
    // A docker in front of the real one: the second `image save` of the arm64 image (or of the one image of all
    // platforms) fails; the first is the size step's, the second the publishing's.
    const real = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim()
    const shim = fs.mkdtempSync(path.join(os.tmpdir(), 'failing-save-'))
    fs.writeFileSync(
      path.join(shim, 'docker'),
      [
        '#!/bin/sh',
        'if [ "$1" = image ] && [ "$2" = save ]; then',
        '  case "$3" in *:linux-arm64|*:all)',
        `    if [ -e "${shim}/saved" ]; then echo "Error response from daemon: simulated failure of the save" >&2; exit 1; fi`,
        `    touch "${shim}/saved";;`,
        '  esac',
        'fi',
        `exec ${real} "$@"`,
        ''
      ].join('\n'),
      { mode: 0o755 }
    )
    const repo = uniqueName('smokestack-itg/failing-save')
    const run = await runAction({
      inputs: { context: 'examples/cross-compile', platforms: 'linux/amd64,linux/arm64', push: 'true', tags: `${REGISTRY}/${repo}:1.0.0` },
      env: { PATH: `${shim}:${process.env.PATH}` }
    })
    const saved = fs.existsSync(path.join(shim, 'saved'))
    fs.rmSync(shim, { recursive: true })
    expect(saved).toBe(true)
    expect(run.exitCode).toBe(1)
    expect(failure(run)).toMatch(
      /docker image save smokestack-local\/[0-9a-f]+:(linux-arm64|all) failed \(exit 1\): Error response from daemon: simulated failure of the save/
    )
    expect(JSON.parse(run.outputs.results)['linux/arm64'].smoke.outcome).toBe('exited')
    expect(registryStatus(`/v2/${repo}/manifests/1.0.0`)).toBe(404)
    expect(registryStatus(`/v2/${repo}/tags/list`)).toBe(404)
    expectClean(run)
  })

  it('kills a start check that ignores SIGTERM at the timeout, and removes it', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/stubborn', 'smoke-timeout': '2s' } })
    expect(run.exitCode).toBe(0)
    const r = JSON.parse(run.outputs.results)['linux/amd64']
    expect(r.smoke.outcome).toBe('running')
    expect(r.smoke.message).toMatch(/ignored SIGTERM, so it was killed and removed/)
    expectClean(run)
  })

  it('cleans up after a cancelled run', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/server', 'smoke-timeout': '5m' }, cancelAfterMs: 12_000 })
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toMatch(/Cancelled \(SIGTERM\)/)
    expect(run.post?.exitCode).toBe(0)
    expectClean(run)
  })

  it('stops a build in progress when the run is cancelled, so no image appears afterwards', async () => {
    const run = await runAction({
      inputs: { context: '__tests__/fixtures/projects/slow-build', 'build-args': `NONCE=${Date.now()}` },
      cancelAfterMs: 5_000
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.stdout).toMatch(/Cancelled \(SIGTERM\)/)
    // Long enough for the build to have finished and loaded its image, had it not been stopped.
    await new Promise((r) => setTimeout(r, 25_000))
    expectClean(run)
  })

  it('passes build secrets without ever printing them', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/secret', secrets: 'token=s3cr3t-Value-42' }, env: { RUNNER_DEBUG: '1' } })
    expect(run.exitCode).toBe(0)
    // The value is registered with the runner's mask, and appears nowhere else.
    const lines = run.stdout.split('\n')
    expect(lines).toContain('::add-mask::s3cr3t-Value-42')
    expect(lines.filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain('s3cr3t-Value-42')
    expect(run.summary).not.toContain('s3cr3t-Value-42')
    expect(JSON.parse(run.outputs.results)['linux/amd64'].status).toBe('passed')
    expectClean(run)
  })
})

describe('the sandbox of the start check', () => {
  it('runs without network, without new privileges, with pid and memory limits', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/sandbox' } })
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.outputs.results)['linux/amd64'].smoke.outcome).toBe('exited')
    expectClean(run)
  })

  it('fails the same check when smoke-network gives the container a network', async () => {
    const run = await runAction({ inputs: { context: '__tests__/fixtures/projects/sandbox', 'smoke-network': 'bridge' } })
    expect(run.exitCode).toBe(1)
    expect(run.summary).toMatch(/nets=eth0/)
    expectClean(run)
  })
})
