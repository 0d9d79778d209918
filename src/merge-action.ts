/** The merge action's entry (dist/merge/index.js). */
import { runMerge } from './action/merge.js'
import { exitWhenFlushed } from './exit.js'

await runMerge()
await exitWhenFlushed()
