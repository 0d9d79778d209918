/**
 * Why a path does not resolve inside an image, in words that are true of the image: a missing
 * directory is named as the first component that is missing, a link is called a link only when one
 * was followed, and a loop is a loop ("too many levels of symbolic links", with the links that go
 * round). Pure: it only reads through the {@link ImageFs}.
 */
import { MAX_SYMLINK_HOPS, normalizeImagePath, resolveInRoot, type ImageFs } from './rootfs.js'

export interface Hop {
  /** The link's own path. */
  link: string
  /** Its target as written. */
  target: string
}

export interface Unresolved {
  reason: 'missing' | 'loop' | 'not-dir'
  /** Where resolution stopped: the first missing component, the file used as a directory, or the link that loops. */
  at: string
  /** Links followed, in order. */
  hops: Hop[]
  /** For a loop: the links that go round, each once; empty when their targets are unknown (the engine refused them). */
  cycle: Hop[]
}

/** How the path fails to resolve, or undefined when it resolves. */
export function traceUnresolved(image: ImageFs, p: string): Unresolved | undefined {
  const hops: Hop[] = []
  const r = resolveInRoot(
    (q) => image.lstat(q),
    p,
    true,
    (link, target) => {
      if (hops.length <= MAX_SYMLINK_HOPS) hops.push({ link, target })
    }
  )
  if (r.ok) return undefined
  return { reason: r.reason, at: r.path, hops, cycle: r.reason === 'loop' ? cycleOf(hops) : [] }
}

/** The links from the first one followed twice up to its second visit. */
function cycleOf(hops: readonly Hop[]): Hop[] {
  for (let i = 0; i < hops.length; i++) {
    const again = hops.findIndex((h, j) => j > i && h.link === hops[i]!.link)
    if (again > 0) return hops.slice(i, again)
  }
  return []
}

/** The error the kernel gives for it. */
export function errnoText(u: Unresolved | undefined): string {
  if (u?.reason === 'loop') return 'too many levels of symbolic links'
  if (u?.reason === 'not-dir') return 'not a directory'
  return 'no such file or directory'
}

const q = (p: string): string => `\`${p}\``

/** Where a link's target leads, one step: relative targets are taken from the link's directory. */
export function hopTarget(h: Hop): string {
  return normalizeImagePath(h.target.startsWith('/') ? h.target : `${h.link.slice(0, h.link.lastIndexOf('/'))}/${h.target}`)
}

function hopList(hops: readonly Hop[]): string {
  const shown = hops.slice(0, 4).map((h) => `${q(h.link)} → ${q(h.target)}`)
  return shown.join(', ') + (hops.length > 4 ? `, … (${hops.length} links)` : '')
}

/**
 * Why `p` cannot be used, as a clause: "`/app` does not exist", "`/run` is a link to `/app/gone`,
 * which does not exist", "too many levels of symbolic links (a loop: `/a` → `/a`)". Undefined when
 * there is nothing to add to "`p` does not exist" (nothing was followed and `p` itself is missing).
 */
export function describeUnresolved(u: Unresolved, p: string): string | undefined {
  const wanted = normalizeImagePath(p)
  if (u.reason === 'loop') {
    if (u.cycle.length > 0) return `too many levels of symbolic links (a loop: ${hopList(u.cycle)})`
    if (u.hops.length > MAX_SYMLINK_HOPS) return `too many levels of symbolic links (more than ${MAX_SYMLINK_HOPS} links from ${q(wanted)})`
    return `too many levels of symbolic links (from ${q(u.at)})`
  }
  const stop = u.reason === 'not-dir' ? `${q(u.at)} is not a directory` : `${q(u.at)} does not exist`
  if (u.hops.length === 0) return u.at === wanted ? undefined : stop
  if (u.hops.length === 1 && u.reason === 'missing' && hopTarget(u.hops[0]!) === u.at)
    return `${q(u.hops[0]!.link)} is a link to ${q(u.hops[0]!.target)}, which does not exist`
  return `following ${hopList(u.hops)}: ${stop}`
}
