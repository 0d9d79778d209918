/**
 * A throwaway workspace for the front-end tests: a directory holding a Dockerfile (and the file it copies), a
 * temporary root for the run's own directories, and helpers to check that a run removed what it made there.
 */
import { afterEach, beforeEach } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** The Dockerfile of a static program: no advice applies to it. */
export const PLAIN_DOCKERFILE = 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n'
/** A Dockerfile with one piece of advice (apk-cache, line 2). */
export const ADVISED_DOCKERFILE = 'FROM alpine:3.12.2\nRUN apk add curl\nCOPY app /app\nENTRYPOINT ["/app"]\n'

export interface Workspace {
  /** The workspace (the build context). */
  dir: string
  /** Where runs put their temporary directories (RUNNER_TEMP). */
  temp: string
  /** Writes the workspace's Dockerfile. */
  dockerfile(text: string): void
  /** Entries left in `temp`. */
  leftInTemp(): string[]
}

/** A fresh workspace for each test of the file, removed after it. */
export function useWorkspace(): Workspace {
  const ws: Workspace = {
    dir: '',
    temp: '',
    dockerfile: (text) => fs.writeFileSync(path.join(ws.dir, 'Dockerfile'), text),
    leftInTemp: () => fs.readdirSync(ws.temp)
  }
  let root = ''
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'smokestack-unit-'))
    ws.dir = path.join(root, 'work')
    ws.temp = path.join(root, 'temp')
    fs.mkdirSync(ws.dir)
    fs.mkdirSync(ws.temp)
    fs.writeFileSync(path.join(ws.dir, 'app'), 'program\n')
    ws.dockerfile(PLAIN_DOCKERFILE)
  })
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true })
  })
  return ws
}

/** An input source over a table, as the action reads inputs by their action.yml names. */
export function inputsFrom(values: Record<string, string>): (name: string) => string {
  return (name) => values[name] ?? ''
}
