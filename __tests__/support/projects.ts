/**
 * Throw-away build contexts under the repository (the action's workspace) for one test file, and
 * the leftover check around it: what the action leaves on the engine is counted before and after.
 */
import { afterAll, beforeAll, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT } from './action.js'
import { leftovers } from './docker.js'

/** Call at the top of a test file; `project(name, dockerfile)` writes a context and returns its path relative to the workspace. */
export function useProjects(prefix: string): { project: (name: string, dockerfile: string) => string } {
  let work = ''
  let before: ReturnType<typeof leftovers>
  beforeAll(() => {
    before = leftovers()
    work = fs.mkdtempSync(path.join(ROOT, `.tmp-${prefix}-`))
  })
  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true })
    expect(leftovers()).toEqual(before)
  })
  return {
    project(name, dockerfile) {
      const dir = path.join(work, name)
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile)
      return path.relative(ROOT, dir)
    }
  }
}
