/** Fingerprints of the build inputs that change rarely: the Dockerfile and the lock files in the context. */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import * as path from 'node:path'

/** Lock files whose content decides the dependency layers. */
export const LOCK_FILES: readonly string[] = [
  'go.sum',
  'go.mod',
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'Cargo.lock',
  'requirements.txt',
  'poetry.lock',
  'Gemfile.lock'
]

/** Directories never searched for lock files: dependency trees and version control. */
const SKIPPED_DIRS = new Set(['node_modules', 'vendor', 'target', 'dist', 'build', '__pycache__'])

export interface BuildInputHashes {
  /** sha256 (hex) of the Dockerfile's bytes. */
  dockerfileHash: string
  /** sha256 (hex) over every lock file found: path and content, in path order. Hash of nothing when none. */
  lockfilesHash: string
  /** The lock files that went into `lockfilesHash`, relative to the context, `/`-separated, sorted. */
  lockfiles: string[]
}

export interface HashOptions {
  /** How many directory levels below the context are searched (0 = the context root only). Default 3. */
  maxDepth?: number
}

export async function hashBuildInputs(dockerfile: string, contextDir: string, options: HashOptions = {}): Promise<BuildInputHashes> {
  const lockfiles = await findLockFiles(contextDir, options.maxDepth ?? 3)
  const combined = createHash('sha256')
  for (const rel of lockfiles) {
    combined.update(`${rel}\0${await sha256File(path.join(contextDir, rel))}\n`)
  }
  return { dockerfileHash: await sha256File(dockerfile), lockfilesHash: combined.digest('hex'), lockfiles }
}

/** Lock files under `dir` (relative, `/`-separated, sorted), skipping hidden and dependency directories. */
export async function findLockFiles(dir: string, maxDepth = 3): Promise<string[]> {
  const names = new Set(LOCK_FILES)
  const found: string[] = []
  const walk = async (rel: string, depth: number): Promise<void> => {
    let entries
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isFile() && names.has(entry.name)) found.push(child)
      else if (entry.isDirectory() && depth < maxDepth && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) {
        await walk(child, depth + 1)
      }
    }
  }
  await walk('', 0)
  return found.sort()
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
  })
}
