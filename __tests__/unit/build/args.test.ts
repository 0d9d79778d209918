import { describe, it, expect } from '@jest/globals'
import { buildArgs, buildOptionArgs, NO_BUILD_OPTIONS, type BuildOptions } from '../../../src/build/args.js'

const base = {
  context: '/ws/app',
  file: '/ws/app/Dockerfile',
  platforms: ['linux/amd64'],
  localRef: 'smokestack-local/1:linux-amd64',
  buildArgs: {},
  labels: {},
  noCache: false,
  cacheArgs: [],
  secrets: [],
  metadataFile: '/tmp/m.json'
}

/** The value after each occurrence of `flag`. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []))
}

describe('the build options shared with docker/build-push-action', () => {
  const options: BuildOptions = {
    cacheFrom: ['user/app:cache', 'type=local,src=/c'],
    cacheTo: ['type=registry,ref=r/app:cache,mode=max'],
    attests: ['type=provenance,mode=max', 'type=sbom'],
    annotations: ['manifest:org.opencontainers.image.title=a b'],
    ssh: ['default', 'key=/ws/id'],
    secretEnvs: [{ id: 'tok', env: 'MY_TOKEN' }],
    buildContexts: ['assets=/ws/assets', 'base=docker-image://alpine:3.12.2'],
    pull: true,
    network: 'none',
    addHosts: ['db:10.0.0.2'],
    allow: ['network.host'],
    shmSize: '128m',
    ulimits: ['nofile=1024:2048'],
    noCacheFilters: ['deps', 'build'],
    cgroupParent: '/actions_job'
  }

  it('become one flag per value, each value its own argument', () => {
    const args = buildArgs({ ...base, options })
    const repeated: [string, string[]][] = [
      ['--cache-from', options.cacheFrom],
      ['--cache-to', options.cacheTo],
      ['--attest', options.attests],
      ['--annotation', options.annotations],
      ['--ssh', options.ssh],
      ['--secret', ['id=tok,env=MY_TOKEN']],
      ['--build-context', options.buildContexts],
      ['--add-host', options.addHosts],
      ['--allow', options.allow],
      ['--ulimit', options.ulimits],
      ['--no-cache-filter', options.noCacheFilters]
    ]
    for (const [flag, expected] of repeated) expect(values(args, flag)).toEqual(expected)
    expect(values(args, '--network')).toEqual(['none'])
    expect(values(args, '--shm-size')).toEqual(['128m'])
    expect(values(args, '--cgroup-parent')).toEqual(['/actions_job'])
    expect(args).toContain('--pull')
    expect(args.at(-1)).toBe('/ws/app')
    expect(args).toContain('--load')
  })

  it('make attestations only when asked: otherwise not even buildx\'s default provenance', () => {
    expect(buildArgs(base)).toEqual(expect.arrayContaining(['--provenance=false', '--sbom=false']))
    expect(buildOptionArgs(NO_BUILD_OPTIONS)).toEqual(['--provenance=false', '--sbom=false'])
    const asked = buildArgs({ ...base, options: { ...NO_BUILD_OPTIONS, attests: ['type=provenance,mode=min'] } })
    expect(asked).not.toContain('--provenance=false')
    expect(asked).not.toContain('--sbom=false')
    expect(values(asked, '--attest')).toEqual(['type=provenance,mode=min'])
  })

  it('leaves --file to buildx for a Git context without one', () => {
    const git = buildArgs({ ...base, context: 'https://github.com/o/r.git#main', file: '' })
    expect(git).not.toContain('--file')
    expect(git.at(-1)).toBe('https://github.com/o/r.git#main')
    expect(values(buildArgs({ ...base, context: 'https://github.com/o/r.git', file: 'sub/Dockerfile' }), '--file')).toEqual(['sub/Dockerfile'])
  })

  it('adds nothing for options left empty', () => {
    const args = buildArgs({ ...base, options: NO_BUILD_OPTIONS })
    for (const flag of ['--cache-from', '--cache-to', '--attest', '--annotation', '--ssh', '--build-context', '--pull', '--network', '--shm-size', '--ulimit', '--allow', '--add-host', '--no-cache-filter', '--cgroup-parent']) {
      expect(args).not.toContain(flag)
    }
  })
})
