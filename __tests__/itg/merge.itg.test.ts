/**
 * Scale-out publishing against the real engine and registry: three per-platform jobs of the bundled action
 * (three processes, each with its own RUNNER_TEMP and record directory, the way three runners run them) push
 * by digest and write records; the bundled merge action joins them into one list. Then what must block the
 * merge: a failed platform, a missing record, a tampered digest, a record from another commit. Each platform
 * is built once; the failure cases reuse the records.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { actionNode, ROOT, runAction, runMergeAction, type ActionRun } from '../support/action.js'
import { registryProxy } from '../support/registry-proxy.js'
import { leftovers, localConfigDigest, REGISTRY, registryJson, registryStatus, uniqueName } from '../support/docker.js'
import type { PlatformRecord } from '../../src/record/record.js'

const SHA = 'c0ffee'.padEnd(40, '0')
const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']
const repo = uniqueName('smokestack-itg/merge')
const slug = (p: string): string => p.replace(/\//g, '-')

interface Job {
  run: ActionRun
  record: PlatformRecord
  file: string
  localConfig: string
}

let root: string
let before: ReturnType<typeof leftovers>
const jobs = new Map<string, Job>()
let failedJob: Job
/** One job of two platforms. */
let pair: Job[]

/** One per-platform job, as a runner runs it: its own temp dir, its own record dir. */
async function job(context: string, platform: string, name: string): Promise<Job> {
  return (await jobOf(context, [platform], name))[0]
}

/** A job of one or more platforms; one Job per platform, all of the same run. */
async function jobOf(context: string, platforms: string[], name: string): Promise<Job[]> {
  const recordDir = path.join(root, 'jobs', name)
  const localConfigs = new Map<string, string>()
  const run = await runAction({
    inputs: { context, platforms: platforms.join(','), push: 'by-digest', tags: `${REGISTRY}/${repo}:ignored`, 'record-dir': recordDir },
    env: { GITHUB_SHA: SHA, GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' },
    beforePost: (r) => {
      const results = JSON.parse(r.outputs.results) as Record<string, { localRef: string; status: string }>
      for (const p of platforms) if (results[p]?.status === 'passed') localConfigs.set(p, localConfigDigest(results[p].localRef, p))
    }
  })
  return platforms.map((platform) => {
    const file = path.join(recordDir, `${slug(platform)}.json`)
    return { run, record: JSON.parse(fs.readFileSync(file, 'utf8')) as PlatformRecord, file, localConfig: localConfigs.get(platform) ?? '' }
  })
}

/** A records directory laid out like download-artifact's, from the given job record files (each possibly edited). */
function recordsDir(name: string, files: { from: Job; edit?: (r: PlatformRecord) => void }[]): string {
  const dir = path.join(root, 'merge', name)
  for (const { from, edit } of files) {
    const target = path.join(dir, `record-${slug(from.record.platform)}`, path.basename(from.file))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const record = JSON.parse(fs.readFileSync(from.file, 'utf8')) as PlatformRecord
    edit?.(record)
    fs.writeFileSync(target, JSON.stringify(record))
  }
  return dir
}

function errors(run: ActionRun): string {
  return run.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n')
}

function tagsOf(): string[] {
  if (registryStatus(`/v2/${repo}/tags/list`) !== 200) return []
  return (registryJson<{ tags: string[] | null }>(`/v2/${repo}/tags/list`).tags ?? []).sort()
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

beforeAll(async () => {
  before = leftovers()
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'smokestack-merge-'))
  // Three runners at once; a fourth job's platform fails (cgo binary on a musl image).
  const [done, failed] = await Promise.all([
    Promise.all(PLATFORMS.map((p) => job('examples/cross-compile', p, slug(p)))),
    job('examples/hello-go-cgo', 'linux/amd64', 'cgo-amd64')
  ])
  PLATFORMS.forEach((p, i) => jobs.set(p, done[i]))
  failedJob = failed
  pair = await jobOf('examples/cross-compile', ['linux/arm64', 'linux/arm/v7'], 'pair')
})
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('per-platform jobs with push: by-digest', () => {
  it('push each tested image by digest, no tag, and write its record as a file and as the record output', () => {
    for (const p of PLATFORMS) {
      const { run, record, file } = jobs.get(p)!
      expect(run.exitCode).toBe(0)
      expect(fs.statSync(file).mode & 0o777).toBe(0o644)
      expect(JSON.parse(run.outputs.record)).toEqual([record])
      expect(record).toMatchObject({ schema: 1, platform: p, status: 'passed', repository: `${REGISTRY}/${repo}`, commit: SHA, runId: '4242', runAttempt: '1' })
      const results = JSON.parse(run.outputs.results) as Record<string, { digest: string; configDigest: string }>
      expect(record.manifest?.digest).toBe(results[p].digest)
      expect(record.configDigest).toBe(results[p].configDigest)
      expect(registryJson<{ config: { digest: string } }>(`/v2/${repo}/manifests/${record.manifest!.digest}`, OCI_MANIFEST).config.digest).toBe(
        record.configDigest
      )
      expect(run.outputs.digest).toBe('')
      expect(run.summary).toContain(`Pushed by digest to <code>${REGISTRY}/${repo}</code>, no tag`)
      expect(run.leftoverFiles).toEqual([])
    }
    expect(tagsOf()).toEqual([])
  })

  it("a job of two platforms pushes each platform's manifest and writes a record for each", () => {
    expect(pair[0].run.exitCode).toBe(0)
    expect(JSON.parse(pair[0].run.outputs.record)).toEqual(pair.map((j) => j.record))
    for (const j of pair) {
      expect(j.record).toMatchObject({ status: 'passed', commit: SHA })
      expect(j.record.configDigest).toBe(j.localConfig)
      expect(registryJson<{ config: { digest: string } }>(`/v2/${repo}/manifests/${j.record.manifest!.digest}`, OCI_MANIFEST).config.digest).toBe(
        j.record.configDigest
      )
    }
  })

  it('a failed platform writes its record too, and pushes nothing', () => {
    expect(failedJob.run.exitCode).toBe(1)
    expect(failedJob.record).toMatchObject({ status: 'failed', platform: 'linux/amd64', commit: SHA })
    expect(failedJob.record.manifest).toBeUndefined()
    expect(failedJob.record.findings).toContain('missing-loader')
  })
})

describe('the merge', () => {
  const blocked = async (dir: string, tag: string, env: Record<string, string> = { GITHUB_SHA: SHA }): Promise<ActionRun> => {
    const run = await runMergeAction({ inputs: { records: dir, tags: `${REGISTRY}/${repo}:${tag}`, platforms: PLATFORMS.join(',') }, env })
    expect(run.exitCode).toBe(1)
    expect(run.outputs.digest).toBe('')
    expect(tagsOf()).not.toContain(tag)
    return run
  }

  it('a failed platform blocks it', async () => {
    const dir = recordsDir('failed', [{ from: failedJob }, { from: jobs.get('linux/arm64')! }, { from: jobs.get('linux/arm/v7')! }])
    const run = await blocked(dir, 'failed')
    expect(errors(run)).toMatch(/Nothing was published: linux\/amd64 failed in its own job: exec \/code\/hellodocker-go: no such file or directory/)
    expect(run.summary).toMatch(/\| `linux\/amd64` \| ❌ failed \|/)
  })

  it('a missing record blocks it', async () => {
    const dir = recordsDir('missing', [{ from: jobs.get('linux/amd64')! }, { from: jobs.get('linux/arm64')! }])
    const run = await blocked(dir, 'missing')
    expect(errors(run)).toContain('linux/arm/v7: no record; its job did not finish, or its record was not downloaded')
  })

  it("a tampered digest blocks it: one never pushed, and another platform's", async () => {
    const never = `sha256:${'0'.repeat(64)}`
    const edited = recordsDir('tampered', [
      { from: jobs.get('linux/amd64')! },
      { from: jobs.get('linux/arm64')!, edit: (r) => (r.manifest!.digest = never) },
      { from: jobs.get('linux/arm/v7')! }
    ])
    expect(errors(await blocked(edited, 'tampered'))).toContain(`linux/arm64: manifest ${never} is not in ${REGISTRY}/${repo}`)
    const amd64 = jobs.get('linux/amd64')!.record
    const swapped = recordsDir('swapped', [
      { from: jobs.get('linux/amd64')! },
      { from: jobs.get('linux/arm64')!, edit: (r) => (r.manifest!.digest = amd64.manifest!.digest) },
      { from: jobs.get('linux/arm/v7')! }
    ])
    expect(errors(await blocked(swapped, 'swapped'))).toContain(
      `linux/arm64: manifest ${amd64.manifest!.digest} holds config ${amd64.configDigest}, not the tested ${jobs.get('linux/arm64')!.record.configDigest}`
    )
  })

  it('records from another commit block it, named', async () => {
    const dir = recordsDir(
      'commit',
      PLATFORMS.map((p) => ({ from: jobs.get(p)! }))
    )
    const run = await blocked(dir, 'commit', { GITHUB_SHA: 'b'.repeat(40) })
    expect(errors(run)).toContain(`records from another commit than this run's ${'b'.repeat(40)}: record-linux-amd64/linux-amd64.json (commit c0ffee000000)`)
  })

  it('publishes exactly the three tested digests and configs under every tag, with one summary', async () => {
    const dir = recordsDir(
      'good',
      PLATFORMS.map((p) => ({ from: jobs.get(p)! }))
    )
    const run = await runMergeAction({
      inputs: {
        records: dir,
        tags: `${REGISTRY}/${repo}:1.0.0\n${REGISTRY}/${repo}:latest\n${REGISTRY}/${repo}-copy:1.0.0`,
        platforms: PLATFORMS.join(','),
        annotations: 'index:org.opencontainers.image.revision=' + SHA
      },
      env: { GITHUB_SHA: SHA }
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(run.outputs.published).toBe(`${REGISTRY}/${repo}:1.0.0,${REGISTRY}/${repo}:latest,${REGISTRY}/${repo}-copy:1.0.0`)
    expect(tagsOf()).toEqual(['1.0.0', 'latest'])
    // The other repository got the manifests, their blobs mounted, and the same list.
    for (const [where, tag] of [
      [repo, '1.0.0'],
      [repo, 'latest'],
      [`${repo}-copy`, '1.0.0']
    ]) {
      const list = registryJson<{
        mediaType: string
        manifests: { digest: string; platform: { os: string; architecture: string; variant?: string } }[]
        annotations: Record<string, string>
      }>(`/v2/${where}/manifests/${tag}`, OCI_INDEX)
      expect(list.mediaType).toBe(OCI_INDEX)
      expect(list.annotations).toEqual({ 'org.opencontainers.image.revision': SHA })
      const held = list.manifests.map((m) => [[m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/'), m.digest])
      expect(held).toEqual(PLATFORMS.map((p) => [p, jobs.get(p)!.record.manifest!.digest]))
      for (const m of list.manifests) {
        const p = [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/')
        const manifest = registryJson<{ config: { digest: string }; layers: { digest: string }[] }>(`/v2/${where}/manifests/${m.digest}`, OCI_MANIFEST)
        expect(manifest.config.digest).toBe(jobs.get(p)!.record.configDigest)
        expect(manifest.config.digest).toBe(jobs.get(p)!.localConfig)
        for (const blob of [manifest.config, ...manifest.layers]) expect(registryStatus(`/v2/${where}/blobs/${blob.digest}`)).toBe(200)
      }
    }
    const results = JSON.parse(run.outputs.results) as Record<string, { status: string; digest: string }>
    expect(Object.keys(results)).toEqual(PLATFORMS)
    for (const p of PLATFORMS) expect(results[p]).toMatchObject({ status: 'passed', digest: jobs.get(p)!.record.manifest!.digest })
    const sizes = JSON.parse(run.outputs.sizes) as Record<string, { compressedSize: number }>
    for (const p of PLATFORMS) expect(sizes[p].compressedSize).toBe(jobs.get(p)!.record.manifest!.compressedSize)
    for (const p of PLATFORMS) expect(run.summary).toContain(`| \`${p}\` | ✅ passed |`)
    expect(run.summary).toContain('## smokestack merge')
    expect(leftovers()).toEqual(before)
  })

  it('a registry failing while the tags move: the tags already moved are put back, and the outputs say nothing is published', async () => {
    const proxy = await registryProxy({ refuse: /\/manifests\/fail-2$/ })
    try {
      const via = `127.0.0.1:${proxy.port}/${repo}`
      const dir = recordsDir(
        'fail',
        PLATFORMS.map((p) => ({ from: jobs.get(p)!, edit: (r: PlatformRecord) => (r.repository = via) }))
      )
      const run = await runMergeAction({
        inputs: { records: dir, tags: `${via}:fail-1,${via}:fail-2`, platforms: PLATFORMS.join(',') },
        env: { GITHUB_SHA: SHA }
      })
      expect(run.exitCode).toBe(1)
      expect(proxy.refused()).toBe(1)
      expect(errors(run)).toMatch(
        /Publishing failed: publishing 127\.0\.0\.1:\d+\/smokestack-itg\/merge-[\w-]+:fail-2 to .* failed: 500 UNKNOWN: storage backend failed/
      )
      expect(run.outputs.published).toBe('')
      expect(run.outputs.digest).toBe('')
      expect(tagsOf().filter((t) => t.startsWith('fail-'))).toEqual([])
    } finally {
      await proxy.close()
    }
  })

  it('a merge cancelled while the tags move moves no further tag and puts back those that moved', async () => {
    const proxy = await registryProxy({ hold: /\/manifests\/sig-2$/, holdMs: 4000 })
    try {
      const via = `127.0.0.1:${proxy.port}/${repo}`
      const dir = recordsDir(
        'sig',
        PLATFORMS.map((p) => ({ from: jobs.get(p)!, edit: (r: PlatformRecord) => (r.repository = via) }))
      )
      const run = await runMergeAction({
        inputs: { records: dir, tags: `${via}:sig-1,${via}:sig-2,${via}:sig-3`, platforms: PLATFORMS.join(',') },
        env: { GITHUB_SHA: SHA },
        cancelAfterMs: 2000
      })
      expect(proxy.held()).toBe(1)
      expect(run.exitCode).toBe(1)
      expect(errors(run)).toContain('the run was cancelled before every tag was published')
      expect(run.outputs.published).toBe('')
      expect(tagsOf().filter((t) => t.startsWith('sig-'))).toEqual([])
    } finally {
      await proxy.close()
    }
  })

  it('joins a one-platform job with a two-platform job', async () => {
    const dir = recordsDir('pair', [{ from: jobs.get('linux/amd64')! }, ...pair.map((from) => ({ from }))])
    const run = await runMergeAction({ inputs: { records: dir, tags: `${REGISTRY}/${repo}:pair`, platforms: PLATFORMS.join(',') }, env: { GITHUB_SHA: SHA } })
    expect(errors(run)).toBe('')
    expect(run.exitCode).toBe(0)
    const list = registryJson<{ manifests: { digest: string }[] }>(`/v2/${repo}/manifests/pair`, OCI_INDEX)
    expect(list.manifests.map((m) => m.digest)).toEqual([jobs.get('linux/amd64')!.record.manifest!.digest, ...pair.map((j) => j.record.manifest!.digest)])
  })

  it('on the command line: smokestack merge publishes the same platforms, and refuses a record it cannot read, naming it', () => {
    const dir = recordsDir(
      'cli',
      PLATFORMS.map((p) => ({ from: jobs.get(p)! }))
    )
    const merge = (args: string[]) =>
      spawnSync(actionNode(), [path.join(ROOT, 'dist/cli/index.js'), 'merge', dir, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, GITHUB_SHA: SHA }
      })
    const ok = merge(['--tags', `${REGISTRY}/${repo}:cli`, '--platforms', PLATFORMS.join(','), '--json'])
    expect(ok.status).toBe(0)
    const doc = JSON.parse(ok.stdout) as { passed: boolean; digest: string; results: Record<string, { digest: string }> }
    expect(doc.passed).toBe(true)
    expect(tagsOf()).toContain('cli')
    for (const p of PLATFORMS) expect(doc.results[p].digest).toBe(jobs.get(p)!.record.manifest!.digest)
    const list = registryJson<{ manifests: { digest: string }[] }>(`/v2/${repo}/manifests/cli`, OCI_INDEX)
    expect(list.manifests.map((m) => m.digest)).toEqual(PLATFORMS.map((p) => jobs.get(p)!.record.manifest!.digest))

    fs.writeFileSync(path.join(dir, 'record-linux-arm64', 'linux-arm64.json'), JSON.stringify({ ...jobs.get('linux/arm64')!.record, schema: 2 }))
    const bad = merge(['--tags', `${REGISTRY}/${repo}:cli-bad`, '--platforms', PLATFORMS.join(',')])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('smokestack merge: record-linux-arm64/linux-arm64.json: schema is 2; this smokestack reads records of schema 1')
    expect(tagsOf()).not.toContain('cli-bad')
  })
})
