/**
 * The benchmarks run under plain Node (through tsx), not Jest: no module they load, however indirectly, may
 * import Jest's globals, which only exist inside a test run.
 */
import { describe, it, expect } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm

/** Every project file `entry` loads, following relative imports (`.js` names the `.ts` source). */
function closure(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    const specifiers = [...fs.readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1])
    seen.set(file, specifiers)
    for (const s of specifiers.filter((x) => x.startsWith('.'))) {
      const resolved = path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts')
      if (fs.existsSync(resolved)) visit(resolved)
    }
  }
  visit(entry)
  return seen
}

const benches = fs
  .readdirSync(path.join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(ROOT, 'bench', f))

describe('the benchmarks', () => {
  it('exist', () => {
    expect(benches.length).toBeGreaterThan(0)
  })

  it.each(benches.map((b) => [path.relative(ROOT, b)]))('%s loads nothing that needs Jest', (bench) => {
    const files = closure(path.join(ROOT, bench))
    const needJest = [...files].filter(([, specifiers]) => specifiers.some((s) => s.startsWith('@jest/') || s === 'jest')).map(([f]) => path.relative(ROOT, f))
    expect(needJest).toEqual([])
    // The walk follows the bench's relative imports (so a broken resolution cannot pass by reading nothing).
    const relative = files.get(path.join(ROOT, bench))!.filter((s) => s.startsWith('.'))
    expect(relative.length).toBeGreaterThan(0)
    expect(files.size).toBeGreaterThan(relative.length)
  })
})
