/** smokestack's own version, from the nearest package.json above this file (source or bundle). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

export function version(): string {
  if (cached) return cached
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'smokestack' && pkg.version) return (cached = pkg.version)
    }
    const parent = path.dirname(dir)
    if (parent === dir) return (cached = 'unknown')
    dir = parent
  }
}
