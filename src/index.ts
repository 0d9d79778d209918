import { run } from './main.js'

await run()
// A cache service request that never answers must not keep the step alive: the outcome is decided.
process.exit()
