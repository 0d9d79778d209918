import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { buildArgs, buildFailureSummary, localReference, parseBuildMetadata } from '../../../src/build/args.js'
import { compareVersions, parseBuilderInspect, parseBuildxVersion } from '../../../src/docker/buildx.js'
import { hasHandler, planQemu, qemuInstallArgs, readHandlers, type Handler } from '../../../src/docker/qemu.js'
import { hostPlatform, isNative, platformSlug, qemuArch } from '../../../src/docker/platform.js'
import { classifySmoke, runtimeMessage, smokeCreateArgs } from '../../../src/verify/smoke.js'
import { platformEntries, splitReference } from '../../../src/docker/registry.js'
import { parseLeftovers, Tracker } from '../../../src/cleanup.js'

describe('build arguments', () => {
  const base = {
    context: '/ws/app',
    file: '/ws/app/Dockerfile',
    platforms: ['linux/arm/v7'],
    localRef: localReference('42-1-abcd', 'linux/arm/v7'),
    buildArgs: { GO_VERSION: '1.15', EMPTY: '' },
    labels: { 'org.opencontainers.image.title': 'app with spaces' },
    noCache: false,
    cacheArgs: [],
    secrets: [],
    metadataFile: '/tmp/m.json'
  }
  it('is an argument array with each value its own element', () => {
    const args = buildArgs({ ...base, target: 'runtime', builder: 'b1', noCache: true, secrets: ['id=npm,src=/tmp/s'] })
    expect(args.slice(0, 4)).toEqual(['buildx', 'build', '--builder', 'b1'])
    expect(args).toContain('--no-cache')
    expect(args[args.indexOf('--target') + 1]).toBe('runtime')
    expect(args[args.indexOf('--platform') + 1]).toBe('linux/arm/v7')
    expect(args).toContain('GO_VERSION=1.15')
    expect(args).toContain('EMPTY=')
    expect(args).toContain('org.opencontainers.image.title=app with spaces')
    expect(args[args.indexOf('--secret') + 1]).toBe('id=npm,src=/tmp/s')
    expect(args.at(-1)).toBe('/ws/app')
    expect(args[args.indexOf('--tag') + 1]).toBe('smokestack-local/42-1-abcd:linux-arm-v7')
  })
  it('leaves out what was not asked for', () => {
    const args = buildArgs(base)
    expect(args).not.toContain('--target')
    expect(args).not.toContain('--builder')
    expect(args).not.toContain('--no-cache')
    expect(args).toContain('--load')
    expect(args).toContain('--provenance=false')
  })
  it('reads the metadata file and the failing step', () => {
    expect(parseBuildMetadata('{"containerimage.config.digest":"sha256:aa","containerimage.digest":"sha256:bb"}')).toEqual({
      configDigest: 'sha256:aa',
      imageDigest: 'sha256:bb'
    })
    expect(parseBuildMetadata('not json')).toEqual({})
    expect(
      buildFailureSummary(
        '#5 [2/3] RUN make\n#5 ERROR: process "/bin/sh -c make" did not complete\n------\nERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2\n'
      )
    ).toBe('failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2')
  })
})

describe('buildx', () => {
  it('reads versions and compares them', () => {
    expect(parseBuildxVersion('github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3')).toBe('0.13.1')
    expect(parseBuildxVersion('github.com/docker/buildx v0.17.1 257815a')).toBe('0.17.1')
    expect(compareVersions('0.9.1', '0.10.0')).toBeLessThan(0)
    expect(compareVersions('0.13.1', '0.10.0')).toBeGreaterThan(0)
  })
  it('reads the builder inspect output', () => {
    const info = parseBuilderInspect(`Name:          default
Driver:        docker
Last Activity: 2026-11-28 11:00:00 +0000 UTC

Nodes:
Name:      default
Endpoint:  default
Status:    running
BuildKit:  v0.12.5
Platforms: linux/amd64, linux/amd64/v2, linux/386, linux/arm64*, linux/arm/v7
`)
    expect(info).toMatchObject({ name: 'default', driver: 'docker', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/386', 'linux/arm64', 'linux/arm/v7'] })
  })
})

describe('platforms and QEMU', () => {
  const handlers: Handler[] = [
    { name: 'qemu-aarch64', enabled: true, interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' },
    { name: 'qemu-arm', enabled: false, interpreter: '/usr/bin/qemu-arm-static' },
    { name: 'riscv', enabled: true, interpreter: '/usr/bin/qemu-riscv64-static' }
  ]
  it('knows native platforms', () => {
    expect(hostPlatform('linux', 'x86_64')).toBe('linux/amd64')
    expect(hostPlatform('linux', 'aarch64')).toBe('linux/arm64')
    expect(isNative('linux/amd64/v3', 'linux/amd64')).toBe(true)
    expect(isNative('linux/386', 'linux/amd64')).toBe(true)
    expect(isNative('linux/arm64', 'linux/amd64')).toBe(false)
    expect(platformSlug('linux/arm/v7')).toBe('linux-arm-v7')
    expect(qemuArch('linux/arm64')).toBe('aarch64')
  })
  it('finds handlers by name or interpreter, enabled only', () => {
    expect(hasHandler('linux/arm64', handlers)).toBe(true)
    expect(hasHandler('linux/arm/v7', handlers)).toBe(false)
    expect(hasHandler('linux/riscv64', handlers)).toBe(true)
    expect(hasHandler('linux/s390x', handlers)).toBe(false)
  })
  it('plans the installation', () => {
    const all = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
    expect(planQemu('auto', all, 'linux/amd64', handlers).install).toEqual(['linux/arm/v7'])
    expect(planQemu('auto', ['linux/amd64'], 'linux/amd64', []).install).toEqual([])
    expect(planQemu('true', all, 'linux/amd64', handlers).install).toEqual(['linux/arm64', 'linux/arm/v7'])
    expect(planQemu('false', all, 'linux/amd64', []).install).toEqual([])
    expect(qemuInstallArgs('tonistiigi/binfmt:latest', ['linux/arm64', 'linux/arm/v7', 'linux/arm/v6'])).toEqual([
      'run',
      '--rm',
      '--privileged',
      'tonistiigi/binfmt:latest',
      '--install',
      'arm64,arm'
    ])
  })
  it('reads handlers from a binfmt_misc directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'binfmt-'))
    fs.writeFileSync(path.join(dir, 'register'), '')
    fs.writeFileSync(path.join(dir, 'status'), 'enabled')
    fs.writeFileSync(path.join(dir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\noffset 0\nmagic 7f454c46\n')
    expect(readHandlers(dir)).toEqual([{ name: 'qemu-aarch64', enabled: true, interpreter: '/usr/bin/qemu-aarch64-static' }])
    expect(readHandlers(path.join(dir, 'missing'))).toEqual([])
    fs.rmSync(dir, { recursive: true })
  })
})

describe('start check', () => {
  const req = {
    image: 'img',
    platform: 'linux/arm64',
    containerName: 'c1',
    timeoutMs: 10_000,
    acceptedExitCodes: [],
    network: 'none',
    runArgs: ['--env=A=1'],
    args: ['--version']
  }
  it('creates the container sandboxed', () => {
    const args = smokeCreateArgs(req)
    expect(args[0]).toBe('create')
    expect(args[args.indexOf('--network') + 1]).toBe('none')
    expect(args[args.indexOf('--security-opt') + 1]).toBe('no-new-privileges')
    expect(args).toContain('--pids-limit')
    expect(args).toContain('--memory')
    expect(args).not.toContain('--privileged')
    expect(args.slice(-3)).toEqual(['--env=A=1', 'img', '--version'])
  })
  it("quotes the runtime's own words", () => {
    expect(runtimeMessage('exec /code/hellodocker-go: no such file or directory')).toBe('exec /code/hellodocker-go: no such file or directory')
    expect(
      runtimeMessage(
        'Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app": stat /app: no such file or directory: unknown'
      )
    ).toBe('exec /app: no such file or directory')
    expect(runtimeMessage('exec /app: exec format error')).toBe('exec /app: exec format error')
    expect(runtimeMessage('exec: "nope": executable file not found in $PATH: unknown')).toBe('exec nope: executable file not found in $PATH')
  })
  it('classifies outcomes', () => {
    const raw = { exitCode: 0, stillRunning: false, output: '', durationMs: 120 }
    expect(classifySmoke(raw, []).outcome).toBe('exited')
    expect(classifySmoke({ ...raw, exitCode: 3, output: 'boom' }, []).outcome).toBe('crashed')
    expect(classifySmoke({ ...raw, exitCode: 3 }, [3]).passed).toBe(true)
    expect(classifySmoke({ ...raw, exitCode: 137 }, []).message).toMatch(/SIGKILL/)
    expect(classifySmoke({ ...raw, exitCode: null, stillRunning: true, durationMs: 10_000 }, [])).toMatchObject({ outcome: 'running', passed: true })
    expect(classifySmoke({ ...raw, exitCode: 255, output: 'exec /code/app: no such file or directory\n' }, [])).toMatchObject({
      outcome: 'start-failed',
      message: 'exec /code/app: no such file or directory'
    })
    expect(classifySmoke({ ...raw, exitCode: 1, output: 'exec /code/app: no such file or directory\n' }, []).outcome).toBe('start-failed')
    expect(classifySmoke({ ...raw, exitCode: 255, output: 'plain failure' }, []).outcome).toBe('crashed')
    // A program that prints such a line among others has started: it crashed.
    expect(classifySmoke({ ...raw, exitCode: 1, output: 'starting\nexec /x: no such file or directory\n' }, []).outcome).toBe('crashed')
    expect(classifySmoke({ ...raw, exitCode: null, startError: 'Error: exec: "/x": stat /x: no such file or directory: unknown' }, [])).toMatchObject({
      outcome: 'start-failed',
      message: 'exec /x: no such file or directory'
    })
  })
})

describe('registry manifests', () => {
  it('splits references', () => {
    expect(splitReference('127.0.0.1:5000/a/b:1.0')).toEqual({ repository: '127.0.0.1:5000/a/b', tag: '1.0' })
    expect(splitReference('127.0.0.1:5000/a/b')).toEqual({ repository: '127.0.0.1:5000/a/b', tag: 'latest' })
    expect(splitReference('ghcr.io/o/a:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toEqual({
      repository: 'ghcr.io/o/a',
      tag: 'v1'
    })
  })
  it('reads an index, skipping attestations', () => {
    const raw = JSON.stringify({
      manifests: [
        { digest: 'sha256:1', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { digest: 'sha256:2', platform: { os: 'unknown', architecture: 'unknown' } },
        { digest: 'sha256:3', platform: { os: 'linux', architecture: 'amd64' } }
      ]
    })
    expect(platformEntries(JSON.parse(raw))).toEqual([
      { digest: 'sha256:1', platform: 'linux/arm/v7' },
      { digest: 'sha256:3', platform: 'linux/amd64' }
    ])
  })
})

describe('leftovers', () => {
  it('tracks and persists what a run leaves', () => {
    const saved: string[] = []
    const t = new Tracker((l) => saved.push(JSON.stringify(l)))
    t.add('containers', 'c1')
    t.add('containers', 'c1')
    t.add('images', 'i1')
    t.forget('containers', 'c1')
    expect(parseLeftovers(saved.at(-1)!)).toEqual({ containers: [], images: ['i1'], dirs: [] })
    expect(parseLeftovers('garbage')).toEqual({ containers: [], images: [], dirs: [] })
  })
})
