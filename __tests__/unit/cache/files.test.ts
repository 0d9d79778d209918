import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { findLockFiles, hashBuildInputs } from '../../../src/cache/files.js'

let dir: string

async function put(rel: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true })
  await writeFile(path.join(dir, rel), content)
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cache-files-'))
  await put('Dockerfile', 'FROM golang:1.15\n')
  await put('go.mod', 'module example.com/app\n')
  await put('go.sum', 'example.com/dep v1.0.0 h1:abc=\n')
  await put('main.go', 'package main\n')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('hashBuildInputs', () => {
  it('hashes the Dockerfile with sha256 and lists the lock files found, sorted', async () => {
    await put('web/package-lock.json', '{}')
    await put('node_modules/x/package-lock.json', '{}')
    await put('.git/yarn.lock', '')
    const h = await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)
    expect(h.dockerfileHash).toBe(createHash('sha256').update('FROM golang:1.15\n').digest('hex'))
    expect(h.lockfiles).toEqual(['go.mod', 'go.sum', 'web/package-lock.json'])
  })

  it('is stable, ignores ordinary sources, and follows every lock file and the Dockerfile', async () => {
    const first = await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)
    await put('main.go', 'package main\nfunc main() {}\n')
    const sourcesChanged = await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)
    expect(sourcesChanged).toEqual(first)

    await put('go.sum', 'example.com/dep v1.0.1 h1:def=\n')
    const lockChanged = await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)
    expect(lockChanged.lockfilesHash).not.toBe(first.lockfilesHash)
    expect(lockChanged.dockerfileHash).toBe(first.dockerfileHash)

    await put('Dockerfile', 'FROM golang:1.16\n')
    expect((await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)).dockerfileHash).not.toBe(first.dockerfileHash)
  })

  it('tells a moved lock file apart from the same content in place', async () => {
    const before = await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)
    await rm(path.join(dir, 'go.sum'))
    await put('sub/go.sum', 'example.com/dep v1.0.0 h1:abc=\n')
    const after = await hashBuildInputs(path.join(dir, 'Dockerfile'), dir)
    expect(after.lockfiles).toEqual(['go.mod', 'sub/go.sum'])
    expect(after.lockfilesHash).not.toBe(before.lockfilesHash)
  })

  it('searches only as deep as asked', async () => {
    await put('a/b/c/d/Cargo.lock', '')
    expect(await findLockFiles(dir, 3)).not.toContain('a/b/c/d/Cargo.lock')
    expect(await findLockFiles(dir, 4)).toContain('a/b/c/d/Cargo.lock')
    expect(await findLockFiles(dir, 0)).toEqual(['go.mod', 'go.sum'])
  })
})
