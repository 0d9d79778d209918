#!/usr/bin/env node
/**
 * smokestack on the command line: the same pipeline as the action, on the current directory,
 * with live progress on stderr and the results table (or --json) on stdout.
 *
 *   smokestack examples/cross-compile --platform linux/amd64,linux/arm64
 */
import { main } from './cli/main.js'
import { exitWhenFlushed } from './exit.js'

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }).then(
  (status) => exitWhenFlushed(status),
  (e: unknown) => {
    process.stderr.write(`smokestack: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    return exitWhenFlushed(1)
  }
)
