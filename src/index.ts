import { run } from './action/index.js'
import { exitWhenFlushed } from './exit.js'

await run()
// A cache service request that never answers must not keep the step alive: the outcome is decided. Exit only
// once the log has reached the runner.
await exitWhenFlushed()
