import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { InputError, parseInputs, type Inputs } from '../../../src/context.js'
import { NO_BUILD_OPTIONS } from '../../../src/build/args.js'

let workspace: string
beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  fs.mkdirSync(path.join(workspace, 'app'))
  fs.mkdirSync(path.join(workspace, 'assets'))
  fs.mkdirSync(path.join(workspace, 'layout'))
  fs.writeFileSync(path.join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n')
  fs.writeFileSync(path.join(workspace, 'id_ed25519'), 'key')
})
afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }))

const ACTIONS_ENV = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'o/r',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_RUN_ID: '77',
  GITHUB_RUN_ATTEMPT: '2',
  ACTIONS_RUNTIME_TOKEN: 'rt',
  ACTIONS_CACHE_URL: 'https://cache.example/',
  MY_TOKEN: 'hunter22-from-env'
}

function parse(values: Record<string, string>, env: NodeJS.ProcessEnv = ACTIONS_ENV): Inputs {
  const all: Record<string, string> = { context: 'app', ...values }
  return parseInputs((name) => all[name] ?? '', workspace, env)
}

function errorOf(values: Record<string, string>, env?: NodeJS.ProcessEnv): InputError {
  try {
    parse(values, env)
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error(`accepted: ${JSON.stringify(values)}`)
}

describe('the inputs shared with docker/build-push-action', () => {
  it('default to nothing: no flag, no attestation', () => {
    const i = parse({})
    expect(i.build).toEqual(NO_BUILD_OPTIONS)
    expect(i.load).toBe(false)
    expect(i.remoteContext).toBe(false)
    expect(i.masks).toEqual([])
  })

  it('read ordinary values', () => {
    const i = parse({
      'cache-from': 'user/app:cache\ntype=local,src=/tmp/c\ntype=gha',
      'cache-to': 'type=registry,ref=ghcr.io/o/app:cache,mode=max\ntype=local,dest=/tmp/c2\ntype=inline',
      annotations: 'manifest:org.opencontainers.image.description=An app, with a comma\norg.opencontainers.image.title=app',
      ssh: 'default,key=id_ed25519',
      'secret-envs': 'token=MY_TOKEN',
      'build-contexts': 'assets=assets\nalpine=docker-image://alpine:3.12.2\nlayout=oci-layout://layout@sha256:' + 'b'.repeat(64),
      pull: 'true',
      network: 'host',
      'add-hosts': 'db:10.0.0.2,cache=192.168.1.9\nv6:[::1]\ngw:host-gateway',
      allow: 'network.host,security.insecure',
      'shm-size': '128m',
      ulimit: 'nofile=1024:2048\nnproc=64',
      'no-cache-filters': 'deps,build',
      'cgroup-parent': '/actions_job'
    })
    expect(i.build).toMatchObject({
      cacheFrom: ['user/app:cache', 'type=local,src=/tmp/c', 'type=gha'],
      cacheTo: ['type=registry,ref=ghcr.io/o/app:cache,mode=max', 'type=local,dest=/tmp/c2', 'type=inline'],
      annotations: ['manifest:org.opencontainers.image.description=An app, with a comma', 'org.opencontainers.image.title=app'],
      ssh: ['default', `key=${path.join(workspace, 'id_ed25519')}`],
      secretEnvs: [{ id: 'token', env: 'MY_TOKEN' }],
      buildContexts: [
        `assets=${path.join(workspace, 'assets')}`,
        'alpine=docker-image://alpine:3.12.2',
        `layout=oci-layout://${path.join(workspace, 'layout')}@sha256:${'b'.repeat(64)}`
      ],
      pull: true,
      network: 'host',
      addHosts: ['db:10.0.0.2', 'cache=192.168.1.9', 'v6:[::1]', 'gw:host-gateway'],
      allow: ['network.host', 'security.insecure'],
      shmSize: '128m',
      ulimits: ['nofile=1024:2048', 'nproc=64'],
      noCacheFilters: ['deps', 'build'],
      cgroupParent: '/actions_job'
    })
    // The variable's value is masked: buildx reads it, and a build log may print it.
    expect(i.masks).toEqual(['hunter22-from-env'])
  })

  it('turn provenance, sbom and attests into --attest values in the order and precedence of docker/build-push-action', () => {
    const builderId = 'builder-id=https://github.com/o/r/actions/runs/77/attempts/2'
    expect(parse({ provenance: 'true' }).build.attests).toEqual([`type=provenance,${builderId}`])
    expect(parse({ provenance: 'mode=max' }).build.attests).toEqual([`type=provenance,mode=max,${builderId}`])
    expect(parse({ provenance: 'mode=min,builder-id=mine' }).build.attests).toEqual(['type=provenance,mode=min,builder-id=mine'])
    expect(parse({ provenance: 'false' }).build.attests).toEqual(['type=provenance,disabled=true'])
    expect(parse({ sbom: 'true' }).build.attests).toEqual(['type=sbom'])
    expect(parse({ sbom: 'generator=img:1' }).build.attests).toEqual(['type=sbom,generator=img:1'])
    expect(parse({ provenance: 'true' }, {}).build.attests).toEqual(['type=provenance'])
    expect(parse({ attests: 'type=sbom,generator=g:1\ntype=provenance,mode=max' }).build.attests).toEqual([
      'type=sbom,generator=g:1',
      `type=provenance,mode=max,${builderId}`
    ])
    // A dedicated input wins over the attests entry of its type.
    expect(parse({ sbom: 'false', attests: 'type=sbom,generator=g:1\ntype=provenance,mode=min' }).build.attests).toEqual([
      'type=sbom,disabled=true',
      `type=provenance,mode=min,${builderId}`
    ])
  })

  it("take a Git context, with the github-token for the workflow's own repository only", () => {
    const own = parse({ context: 'https://github.com/o/r.git#main:app', file: 'app/Dockerfile', 'github-token': 'ghs_tokentoken' })
    expect(own).toMatchObject({ context: 'https://github.com/o/r.git#main:app', file: 'app/Dockerfile', remoteContext: true })
    expect(own.secrets).toEqual([{ id: 'GIT_AUTH_TOKEN.github.com', value: 'ghs_tokentoken' }])
    expect(own.masks).toContain('ghs_tokentoken')
    const other = parse({ context: 'https://github.com/someone/else.git#v1', 'github-token': 'ghs_tokentoken' })
    expect(other).toMatchObject({ file: '', remoteContext: true, secrets: [] })
    const own2 = parse({ context: 'https://github.com/o/r.git', 'github-token': 'ghs_tokentoken', secrets: 'GIT_AUTH_TOKEN=mine1234' })
    expect(own2.secrets).toEqual([{ id: 'GIT_AUTH_TOKEN', value: 'mine1234' }])
    expect(parse({ context: '{{defaultContext}}:sub/dir' }).context).toBe(`https://github.com/o/r.git#${'a'.repeat(40)}:sub/dir`)
    expect(parse({ context: '{{defaultContext}}' }).context).toBe(`https://github.com/o/r.git#${'a'.repeat(40)}`)
    for (const url of [
      'git@github.com:o/r.git',
      'git://example.com/o/r.git#v1.2',
      'ssh://git@example.com/o/r.git',
      'github.com/o/r',
      'https://example.com/o/r#main'
    ]) {
      expect(parse({ context: url }).context).toBe(url)
    }
  })

  it('publish without attestations when they are turned off', () => {
    expect(parse({ provenance: 'false', push: 'true', tags: 'r.example/app:1' }).build.attests).toEqual(['type=provenance,disabled=true'])
  })

  it('leave the built-in cache to the cache plan and take user cache entries as written', () => {
    expect(parse({ 'cache-to': 'type=local,dest=/tmp/x' }).cache).toBe('auto')
  })
})

// Each refusal names the input and what is accepted; odd, careless and hostile values.
// (every row has its environment: a row shorter than the test's parameters makes jest wait for a done callback)
const refused: [string, Record<string, string>, RegExp, NodeJS.ProcessEnv][] = [
  ['cache-from', { 'cache-from': 'type=local' }, /type=local needs src=DIRECTORY/, ACTIONS_ENV],
  ['cache-from', { 'cache-from': 'type=registry' }, /type=registry needs ref=IMAGE/, ACTIONS_ENV],
  ['cache-from', { 'cache-from': 'type=registry,ref=NOT VALID' }, /image reference/, ACTIONS_ENV],
  ['cache-from', { 'cache-from': 'type=inline' }, /cache-to type/, ACTIONS_ENV],
  ['cache-from', { 'cache-from': 'type=s4,bucket=b' }, /type must be one of registry, local, gha, inline, s3, azblob/, ACTIONS_ENV],
  ['cache-from', { 'cache-from': 'Not/An:Image:Ref' }, /image reference/, ACTIONS_ENV],
  ['cache-to', { 'cache-to': 'type=local,src=/tmp/x' }, /type=local needs dest=DIRECTORY/, ACTIONS_ENV],
  ['cache-to', { 'cache-to': 'type=registry,ref=a:b,mode=all' }, /mode must be min or max/, ACTIONS_ENV],
  ['cache-to', { 'cache-to': 'type=local,dest=/x,oops' }, /"oops" is not key=value/, ACTIONS_ENV],
  ['cache-to', { 'cache-to': 'type=gha' }, /needs the Actions cache service/, {}],
  ['cache-to', { 'cache-to': 'dest=/tmp/x' }, /type must be one of/, ACTIONS_ENV],
  ['provenance', { provenance: 'mode' }, /use true, false or attributes such as mode=max/, ACTIONS_ENV],
  ['provenance', { provenance: 'type=sbom' }, /use true, false or attributes/, ACTIONS_ENV],
  ['sbom', { sbom: 'yes please' }, /use true, false or attributes/, ACTIONS_ENV],
  ['attests', { attests: 'mode=max' }, /type=provenance or type=sbom/, ACTIONS_ENV],
  ['attests', { attests: 'type=vex' }, /type=provenance or type=sbom/, ACTIONS_ENV],
  ['annotations', { annotations: 'no-equals-sign' }, /\[manifest:\]KEY=VALUE/, ACTIONS_ENV],
  ['annotations', { annotations: 'index:org.opencontainers.image.title=x' }, /index annotations belong to the manifest list/, ACTIONS_ENV],
  ['annotations', { annotations: 'manifest-descriptor:k=v' }, /manifest-descriptor annotations belong to the manifest list/, ACTIONS_ENV],
  ['annotations', { annotations: 'layer:k=v' }, /the type is manifest/, ACTIONS_ENV],
  ['annotations', { annotations: 'manifest:key with space=v' }, /\[manifest:\]KEY=VALUE/, ACTIONS_ENV],
  ['ssh', { ssh: 'my key=id_ed25519' }, /use default, or ID=PATH/, ACTIONS_ENV],
  ['ssh', { ssh: 'key=missing_key' }, /no file or socket at/, ACTIONS_ENV],
  ['ssh', { ssh: 'key=../../etc/ssh/ssh_host_rsa_key' }, /must stay inside the workspace/, ACTIONS_ENV],
  ['secret-envs', { 'secret-envs': 'token=$(id)' }, /names no environment variable/, ACTIONS_ENV],
  ['build-contexts', { 'build-contexts': 'assets' }, /use NAME=VALUE/, ACTIONS_ENV],
  ['build-contexts', { 'build-contexts': 'assets=missing' }, /no directory at/, ACTIONS_ENV],
  ['build-contexts', { 'build-contexts': 'root=../..' }, /must stay inside the workspace/, ACTIONS_ENV],
  ['build-contexts', { 'build-contexts': 'base=docker-image://UPPER/case' }, /image reference/, ACTIONS_ENV],
  ['build-contexts', { 'build-contexts': 'src=https://example.com/archive.tar.gz' }, /Git URL/, ACTIONS_ENV],
  ['pull', { pull: 'always' }, /true or false/, ACTIONS_ENV],
  ['network', { network: 'bridge' }, /default, none or host/, ACTIONS_ENV],
  ['network', { network: 'container:other' }, /default, none or host/, ACTIONS_ENV],
  ['add-hosts', { 'add-hosts': 'db' }, /HOST:IP or HOST=IP/, ACTIONS_ENV],
  ['add-hosts', { 'add-hosts': 'db:not-an-ip' }, /HOST:IP/, ACTIONS_ENV],
  ['add-hosts', { 'add-hosts': 'db:999.1.1.1' }, /HOST:IP/, ACTIONS_ENV],
  ['add-hosts', { 'add-hosts': '-bad:1.2.3.4' }, /HOST:IP/, ACTIONS_ENV],
  ['allow', { allow: 'everything' }, /network\.host or security\.insecure/, ACTIONS_ENV],
  ['shm-size', { 'shm-size': 'big' }, /64m, 2g/, ACTIONS_ENV],
  ['shm-size', { 'shm-size': '-1' }, /64m, 2g/, ACTIONS_ENV],
  ['ulimit', { ulimit: 'nofile=2048:1024' }, /SOFT at most HARD/, ACTIONS_ENV],
  ['ulimit', { ulimit: 'files=10' }, /NAME one of core, cpu/, ACTIONS_ENV],
  ['ulimit', { ulimit: 'nofile' }, /NAME=SOFT\[:HARD\]/, ACTIONS_ENV],
  ['no-cache-filters', { 'no-cache-filters': 'bad stage' }, /build stage names/, ACTIONS_ENV],
  ['cgroup-parent', { 'cgroup-parent': '../../escape me' }, /cgroup path/, ACTIONS_ENV],
  ['context', { context: 'https://example.com/app.tar.gz' }, /Git URL/, ACTIONS_ENV],
  ['context', { context: 'https://github.com/o/r.git#main:../../etc' }, /no "\.\."/, ACTIONS_ENV],
  ['context', { context: 'https://github.com/o/r.git#ma in' }, /Git URL/, ACTIONS_ENV],
  ['context', { context: '{{defaultContext}}' }, /needs GITHUB_REPOSITORY and GITHUB_SHA/, {}],
  ['context', { context: 'x{{defaultContext}}' }, /alone or as \{\{defaultContext\}\}:subdir/, ACTIONS_ENV],
  ['file', { context: 'https://github.com/o/r.git', file: '/etc/passwd' }, /path inside the repository/, ACTIONS_ENV],
  ['file', { context: 'https://github.com/o/r.git', file: '../Dockerfile' }, /path inside the repository/, ACTIONS_ENV],
  ['load', { load: 'sometimes' }, /true or false/, ACTIONS_ENV],
  ['outputs', { outputs: 'type=local,dest=out' }, /not supported: smokestack loads every platform/, ACTIONS_ENV],
  ['call', { call: 'check' }, /not supported: a build method/, ACTIONS_ENV]
]

describe('inputs that take effect with push and after the checks', () => {
  it('read attestations with push, load, and the test command', () => {
    const withPush = parse({ provenance: 'mode=max', push: 'true', tags: 'r.example/app:1' })
    expect(withPush.push).toBe(true)
    expect(withPush.build.attests[0]).toMatch(/^type=provenance,mode=max/)
    expect(parse({ load: 'true' }).load).toBe(true)
    expect(parse({ 'test-command': '  ./test.sh "$IMAGE"  ' }).testCommand).toBe('./test.sh "$IMAGE"')
    expect(parse({}).testCommand).toBeUndefined()
  })
})

describe('the shared inputs refuse bad values before anything runs', () => {
  it.each(refused)('%s: %j', (input, values, accepted, env) => {
    const e = errorOf(values, env)
    expect(e.input).toBe(input)
    expect(e.message).toContain(`Input "${input}"`)
    expect(e.message).toMatch(accepted)
  })

  it('has at least 50 cases', () => expect(refused.length).toBeGreaterThanOrEqual(50))
})
