/**
 * The command line as a package: `npm pack`, then `npm install --global` of the tarball into a prefix of the
 * test's own, gives a `smokestack` that runs (its version, its help, and `lint`, which needs no engine).
 */
import { describe, it, expect, afterAll } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('the package', () => {
  it('installs from its tarball and runs', () => {
    const env = {
      ...process.env,
      npm_config_cache: path.join(dir, 'cache'),
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false'
    }
    const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, env, encoding: 'utf8' }).trim().split('\n').at(-1)!
    const tarball = path.join(dir, name)
    // Only what a user runs: the bundles, the actions' metadata, README and licence.
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean)
    expect(listed.every((f) => /^package\/(dist\/|action\.yml$|merge\/action\.yml$|README\.md$|LICENSE$|package\.json$)/.test(f))).toBe(true)
    expect(listed).toContain('package/dist/cli/index.js')
    const prefix = path.join(dir, 'prefix')
    execFileSync('npm', ['install', '--global', '--offline', '--prefix', prefix, tarball], { env, encoding: 'utf8', stdio: 'pipe' })
    const bin = path.join(prefix, 'bin', 'smokestack')
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version)
    expect(execFileSync(bin, ['--help'], { encoding: 'utf8' })).toContain('Usage: smokestack [context] [options]')
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM golang:1.15 AS build\nRUN go build -o /app .\nFROM alpine:3.12.2\nCOPY --from=build /app /app\n')
    const lint = spawnSync(bin, ['lint', path.join(dir, 'Dockerfile'), '--format', 'json'], { encoding: 'utf8' })
    expect(lint.status).toBe(1)
    expect(lint.stdout).toContain('cgo-on-musl')
  })
})
