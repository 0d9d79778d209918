/** What each image weighs: measuring, budgets, and growth against a baseline. */
export { measureImage, measurePlatforms, compressedSizeFromRegistry, LARGEST_LAYERS, type ImageSize, type LayerOrigin } from './measure.js'
export { checkBudget, type MeasuredPlatform, type SizeBudget, type SizeMetric } from './budget.js'
export { compareToBaseline, diffSizes, checkGrowth, type BaselineResult, type PlatformDelta } from './baseline.js'
export { parseSize, parseGrowth, formatBytes, formatDelta, type Growth } from './units.js'
