/**
 * The merge's decisions on the records alone, before the registry is asked: one record per expected platform,
 * each passed and pushed, all from this commit and one repository, the tags on that registry. Every problem is
 * named (file, platform, value); a merge with any problem publishes nothing. Pure.
 */
import { parseImageRef, repositoryName } from '../docker/reference.js'
import type { ReadRecord } from '../record/parse.js'

export interface MergeRequest {
  /** The platforms the list must hold, exactly. */
  platforms: readonly string[]
  /** The commit every record must come from; undefined: they must agree with each other. */
  commit?: string
  tags: readonly string[]
}

export interface PlannedPlatform {
  platform: string
  /** The record chosen for it; absent when there is none. */
  read?: ReadRecord
  /** Why this platform blocks the merge. */
  problem?: string
}

export interface MergePlan {
  platforms: PlannedPlatform[]
  /** Problems that concern no one platform (another commit, another repository, a platform not asked for). */
  problems: string[]
  /** `registry/path` of the records. */
  repository?: string
}

function shortCommit(c: string | undefined): string {
  return c === undefined ? 'no commit' : `commit ${c.length > 12 ? c.slice(0, 12) : c}`
}

export function planMerge(records: readonly ReadRecord[], request: MergeRequest): MergePlan {
  const problems: string[] = []
  const expected = new Set(request.platforms)
  for (const r of records) {
    if (!expected.has(r.record.platform))
      problems.push(`${r.file}: platform ${r.record.platform} is not one of the expected platforms (${request.platforms.join(', ')})`)
  }

  // Commits: this run's, or at least one and the same for all.
  if (request.commit !== undefined) {
    const other = records.filter((r) => r.record.commit !== request.commit)
    if (other.length)
      problems.push(
        `records from another commit than this run's ${request.commit}: ${other.map((r) => `${r.file} (${shortCommit(r.record.commit)})`).join(', ')}`
      )
  } else {
    const commits = [...new Set(records.map((r) => r.record.commit ?? ''))]
    if (commits.length > 1)
      problems.push(`the records come from different commits: ${records.map((r) => `${r.file} (${shortCommit(r.record.commit)})`).join(', ')}`)
  }

  const repositories = [...new Set(records.map((r) => r.record.repository.toLowerCase()))]
  if (repositories.length > 1) problems.push(`the records name different repositories: ${records.map((r) => `${r.file} (${r.record.repository})`).join(', ')}`)
  const repository = repositories.length === 1 ? records[0].record.repository : undefined
  const recordsRef = repository ? parseImageRef(repository) : undefined
  if (repository && !recordsRef) problems.push(`the records name ${JSON.stringify(repository)}, which is not a repository`)
  if (recordsRef) {
    for (const t of request.tags) {
      const ref = parseImageRef(t)
      if (ref && ref.registry.toLowerCase() !== recordsRef.registry.toLowerCase()) {
        problems.push(
          `tag ${t} is on ${ref.registry}, the records' images on ${recordsRef.registry}: the merge tags on the registry the platforms were pushed to`
        )
      }
    }
  }

  const platforms = request.platforms.map((platform): PlannedPlatform => {
    const found = records.filter((r) => r.record.platform === platform)
    if (found.length === 0) return { platform, problem: `${platform}: no record; its job did not finish, or its record was not downloaded` }
    if (found.length > 1)
      return { platform, read: found[0], problem: `${platform}: ${found.length} records (${found.map((r) => r.file).join(', ')}); give each platform one job` }
    const [read] = found
    const r = read.record
    if (r.status !== 'passed') return { platform, read, problem: `${platform} failed in its own job${r.error ? `: ${r.error}` : ''}` }
    if (!r.manifest) return { platform, read, problem: `${platform}: its job pushed nothing${r.error ? ` (${r.error})` : ''}` }
    return { platform, read }
  })
  return { platforms, problems, repository: recordsRef ? repositoryName(recordsRef) : repository }
}

/** Every problem of a plan, platform problems first. */
export function planProblems(plan: MergePlan): string[] {
  return [...plan.platforms.flatMap((p) => (p.problem ? [p.problem] : [])), ...plan.problems]
}
