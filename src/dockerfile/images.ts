/** What an image reference says about the image: its repository name and C library. */
import { looseImageParts } from '../docker/reference.js'

/** `reg:5000/library/golang:1.21-alpine@sha256:…` → `{ path: 'library/golang', name: 'golang', tag: '1.21-alpine' }`. */
export const parseImageReference = looseImageParts

/**
 * The C library an image provides to dynamically linked programs:
 * `none` for `scratch` and distroless/static, `musl` for anything alpine, else `glibc`.
 */
export type Libc = 'none' | 'musl' | 'glibc'

export function imageLibc(reference: string): Libc {
  const { path, tag } = parseImageReference(reference)
  if (path === 'scratch' || /(^|\/)distroless\/static/.test(path)) return 'none'
  if (path.includes('alpine') || (tag ?? '').includes('alpine')) return 'musl'
  // busybox:musl, busybox:1.36-musl (and uclibc) carry no glibc.
  if (/(^|\/)busybox$/.test(path) && /(^|-)(musl|uclibc)$/.test(tag ?? '')) return 'musl'
  return 'glibc'
}

/** Images that carry a compiler toolchain and are meant for building, not shipping. */
const TOOLCHAIN_IMAGES = new Set(['golang', 'rust', 'gcc', 'buildpack-deps'])

/** Whether the image has a compiler. buildpack-deps' `curl` and `scm` variants (`jessie-curl`, `scm`) have none. */
export function isToolchainImage(reference: string): boolean {
  const { name, tag } = parseImageReference(reference)
  if (!TOOLCHAIN_IMAGES.has(name)) return false
  return !(name === 'buildpack-deps' && /(^|-)(curl|scm)$/.test(tag ?? ''))
}
