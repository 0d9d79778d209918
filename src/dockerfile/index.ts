/** Reading the Dockerfile before building: stages, the target, and advice. */
export { analyzeDockerfile, closestName, type DockerfileAnalysis, type DockerfileInput } from './analyze.js'
export { DockerfileError } from './errors.js'
export type { Stage } from './parse.js'
export { stageRows, type StageRow } from './summary.js'
export { normalizePlatform, samePlatform } from './platform.js'
export { expandVariables } from './variables.js'
