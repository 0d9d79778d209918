/**
 * Before anything is uploaded, every destination is checked: reachable, its TLS trusted, and the Docker
 * client's login allowed to push there. Publishing is all or nothing; this check is what makes "nothing" true
 * when one of several registries is down or refuses the login. Push rights are checked the way a push begins,
 * and nothing is left behind: a blob upload is started, then cancelled.
 */
import { parseImageRef, repositoryName } from '../docker/reference.js'
import { describeNetworkError, quoteAnswer, type RegistryClient } from '../docker/registry-http.js'

/** A registry client per registry, shared by every repository on it. */
export type ClientFor = (domain: string) => RegistryClient

/** Why the repository of `ref` cannot be pushed to, or undefined when it can. */
async function checkDestination(domain: string, repo: string, client: RegistryClient): Promise<string | undefined> {
  const where = `${domain}/${repo}`
  let reached
  try {
    reached = await client.reach()
  } catch (e) {
    const err = describeNetworkError(e as NodeJS.ErrnoException)
    if (err.kind === 'tls') {
      return `${where}: TLS: the certificate of ${client.endpoint} is not trusted (${err.text}); the engine trusts the system's CAs and those in ${client.certsDirOfHost}/ (ca.crt): add the registry's CA there`
    }
    return `${where}: ${client.endpoint} is unreachable: ${err.text}`
  }
  const ping = reached.answer
  if (ping.status === 400 && /HTTP request to an HTTPS server/i.test(ping.body.toString('utf8'))) {
    return `${where}: ${client.endpoint} answers only HTTPS, but the engine and buildx speak plain HTTP to a loopback address; reach the registry under a host name instead (one that resolves to it)`
  }
  if (ping.status !== 200 && ping.status !== 401)
    return `${where}: ${reached.transport.scheme}://${client.endpoint}/v2/ answered HTTP ${ping.status}, not a registry API answer ${quoteAnswer(ping.body)}`
  try {
    await client.login()
  } catch (e) {
    return `${where}: the login for ${domain} cannot be read: ${(e as Error).message}`
  }
  const auth = await client.authorize(repo, 'pull,push')
  if (auth.failure) return `${where}: ${auth.failure}`
  let start
  try {
    start = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, repository: repo, actions: 'pull,push' })
  } catch (e) {
    return `${where}: ${(e as Error).message}`
  }
  if (start.status === 401 || start.status === 403) return `${where}: not authorised to push ${client.loginHint(await client.login())}`
  if (start.status !== 202) return `${where}: ${client.endpoint} refused to start an upload: HTTP ${start.status} ${quoteAnswer(start.body)}`
  const location = start.headers.location
  // Cancel the upload: nothing is left behind. A registry that cannot cancel expires it on its own.
  if (location) await client.request({ method: 'DELETE', path: location, repository: repo, actions: 'pull,push' }).catch(() => undefined)
  return undefined
}

/**
 * Resolves when every distinct repository of `tags` can be pushed to; otherwise throws one error naming each
 * destination that cannot, and why.
 */
export async function checkDestinations(tags: readonly string[], clientFor: ClientFor): Promise<void> {
  const byRepository = new Map<string, { domain: string; path: string }>()
  for (const tag of tags) {
    const ref = parseImageRef(tag)
    if (!ref) throw new Error(`${tag} is not an image reference`)
    byRepository.set(repositoryName(ref), { domain: ref.registry, path: ref.path })
  }
  const failures = (await Promise.all([...byRepository.values()].map(({ domain, path }) => checkDestination(domain, path, clientFor(domain))))).filter(
    (f): f is string => f !== undefined
  )
  if (failures.length > 0) {
    const all = byRepository.size === 1 ? 'its destination' : byRepository.size === 2 ? 'both destinations' : `all ${failures.length} destinations`
    const count = failures.length === byRepository.size ? all : `${failures.length} of ${byRepository.size} destinations`
    throw new Error(`Nothing was pushed: ${count} cannot be pushed to.\n${failures.map((f) => `- ${f}`).join('\n')}`)
  }
}
