/** Ending the process only once what it wrote has reached its reader: output still queued on a pipe is lost at exit. */

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve()
    // The callback of an empty write runs once everything written before it has been handed to the system.
    stream.write('', () => resolve())
  })
}

/** Waits until stdout and stderr are drained, then exits with `code` (default: process.exitCode). */
export async function exitWhenFlushed(code?: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  // An explicit undefined would exit 0 on Node 24: without a code, process.exitCode decides.
  return code === undefined ? process.exit() : process.exit(code)
}
