/** Looking inside images before they start. */
export { explainStart, explainStartFailure, explanationText, type StartExplanation } from './explain.js'
export { examineImage, type ExamineOptions, type ExamineStats, type ImageReport } from './doctor.js'
export {
  examineInContainer,
  PrefetchImageFs,
  analyzeWithPrefetch,
  entryFromGoMode,
  ContainerFsUnavailable,
  EXAMINE_LABEL,
  EXAMINE_ROLE,
  type ContainerAnalysis,
  type FetchLimits
} from './container-fs.js'
export { architectureMismatch, loaderFlavor } from './loader-paths.js'
export {
  analyzeStart,
  envProgram,
  lookupCommand,
  searchPath,
  shellCommandProgram,
  startArgv,
  DEFAULT_PATH,
  type EntryInfo,
  type StartAnalysis
} from './linkage.js'
export { describeElf, dockerPlatformOf, isElf, parseElf, type ByteSource, type ElfInfo, type ElfResult, type Linkage } from './elf.js'
export {
  createMemoryImageFs,
  imageConfig,
  normalizeImagePath,
  openImage,
  readImageArchive,
  resolveInRoot,
  ImageArchiveError,
  MAX_SYMLINK_HOPS,
  type ArchiveImageFs,
  type FsEntry,
  type ImageConfig,
  type ImageFs,
  type MemoryEntry,
  type ResolveResult
} from './rootfs.js'
