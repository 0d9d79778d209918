/**
 * Git build contexts, as docker/build-push-action takes them: `https://github.com/o/r.git#ref:dir`,
 * `git@host:o/r.git`, `git://…`, `ssh://…`, `github.com/o/r`, and `{{defaultContext}}` (the
 * workflow's own repository at its commit, optionally `{{defaultContext}}:dir`). BuildKit fetches
 * them itself; the Dockerfile is then not on this machine. Pure: the environment is handed in.
 */
import { fail } from './values.js'

const DEFAULT_CONTEXT = '{{defaultContext}}'

/** A context that is not a directory on this machine. */
export function isRemoteContext(value: string): boolean {
  return /^(https?|git|ssh):\/\//.test(value) || value.startsWith('git@') || value.startsWith('github.com/') || value.includes(DEFAULT_CONTEXT)
}

/** The workflow's repository URL, `https://github.com/o/r.git`, when the runner says which it is. */
export function workflowRepositoryUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_REPOSITORY) return undefined
  return `${(env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')}/${env.GITHUB_REPOSITORY}.git`
}

const ACCEPTED =
  'use a directory, or a Git URL such as https://github.com/owner/repo.git#ref:subdir, git@github.com:owner/repo.git or {{defaultContext}}:subdir (a URL of a tarball or a single Dockerfile is not supported)'

/** Expands `{{defaultContext}}` and checks the URL; returns what buildx is given. */
export function parseRemoteContext(input: string, value: string, env: NodeJS.ProcessEnv): string {
  let url = value.trim()
  if (url.includes(DEFAULT_CONTEXT)) {
    const repo = workflowRepositoryUrl(env)
    const ref = env.GITHUB_SHA || env.GITHUB_REF
    if (!repo || !ref)
      fail(
        input,
        value,
        "{{defaultContext}} is the workflow's own repository: it needs GITHUB_REPOSITORY and GITHUB_SHA, which only a workflow run has; give a directory or a Git URL"
      )
    const rest = url.slice(url.indexOf(DEFAULT_CONTEXT) + DEFAULT_CONTEXT.length)
    if (!url.startsWith(DEFAULT_CONTEXT) || !/^(:[^#?\s]*)?$/.test(rest)) fail(input, value, 'write {{defaultContext}} alone or as {{defaultContext}}:subdir')
    url = `${repo}#${ref}${rest === ':' || rest === ':.' ? '' : rest}`
  }
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (url.length > 2048 || /[\s\u0000-\u001f\u007f]/.test(url)) fail(input, value, ACCEPTED)
  const hash = url.indexOf('#')
  const base = hash < 0 ? url : url.slice(0, hash)
  const fragment = hash < 0 ? '' : url.slice(hash + 1)
  const isGit =
    /^(git|ssh):\/\/[^/]+\/.+/.test(base) ||
    /^git@[^:/]+:.+/.test(base) ||
    /^github\.com\/[^/]+\/[^/]+/.test(base) ||
    (/^https?:\/\/[^/]+\/.+/.test(base) && (/\.git\/?$/.test(base.replace(/\?.*$/, '')) || hash >= 0))
  if (!isGit) fail(input, value, ACCEPTED)
  const [ref, subdir = ''] = fragment.split(':', 2)
  if (!/^[A-Za-z0-9._/+-]*$/.test(ref) || subdir.split('/').includes('..')) {
    fail(input, value, 'the part after # is REF[:SUBDIR]: a branch, tag or commit, then a directory inside the repository (no "..")')
  }
  return url
}

/**
 * The `GIT_AUTH_TOKEN.<host>` secret docker/build-push-action gives BuildKit for a Git context of
 * the workflow's own repository, unless a secret already carries one.
 */
export function gitAuthSecret(context: string, token: string, env: NodeJS.ProcessEnv, secretIds: string[]): { id: string; value: string } | undefined {
  const repo = workflowRepositoryUrl(env)
  if (!token || !repo || !context.startsWith(repo)) return undefined
  if (secretIds.some((id) => id === 'GIT_AUTH_TOKEN' || id.startsWith('GIT_AUTH_TOKEN.'))) return undefined
  return { id: `GIT_AUTH_TOKEN.${new URL(repo).host}`, value: token }
}
