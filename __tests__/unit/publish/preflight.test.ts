import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as https from 'node:https'
import type { AddressInfo, LookupFunction } from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { checkDestinations as check } from '../../../src/publish/preflight.js'
import { isLoopbackHost, parseChallenge, quoteAnswer, RegistryClient, type RegistryOptions } from '../../../src/docker/registry-http.js'
import { credentialKey, registryCredentials } from '../../../src/docker/credentials.js'
import { registryOf } from '../../../src/docker/reference.js'

type PreflightOptions = RegistryOptions

/** The check as publishing runs it: one registry client per registry, with these options. */
function checkDestinations(tags: string[], options: PreflightOptions): Promise<void> {
  const clients = new Map<string, RegistryClient>()
  return check(tags, (domain) => clients.get(domain) ?? clients.set(domain, new RegistryClient(domain, options)).get(domain)!)
}

/**
 * A registry with token auth over TLS, in process: /v2/ asks for a Bearer token from /token, which
 * grants push only to alice with her password (or her refresh token), pull to anyone; an upload
 * starts only with a push token, and is cancelled by DELETE. Its certificate comes from a CA the
 * test makes, which nothing trusts unless the test says so.
 */
let dir: string
let server: https.Server
let host: string
const log: string[] = []
const open = new Set<string>()

function b64(s: string): string {
  return Buffer.from(s).toString('base64')
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-'))
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test CA', '-keyout', 'ca.key', '-out', 'ca.crt')
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=registry.test', '-keyout', 'server.key', '-out', 'server.csr')
  fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:registry.test\n')
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext', '-out', 'server.crt')
  server = https.createServer({ key: fs.readFileSync(path.join(dir, 'server.key')), cert: fs.readFileSync(path.join(dir, 'server.crt')) }, (req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `https://${host}`)
      log.push(`${req.method} ${url.pathname}${url.search}`)
      const auth = req.headers.authorization ?? ''
      if (url.pathname === '/v2/') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="https://${host}/token",service="registry.test"` }).end('{"errors":[]}')
      } else if (url.pathname === '/token') {
        const form = new URLSearchParams(body)
        const alice = auth === `Basic ${b64('alice:secret1')}` || form.get('refresh_token') === 'refresh-alice'
        if (auth.startsWith('Basic') && !alice) return void res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED"}]}')
        const scope = url.searchParams.get('scope') ?? form.get('scope') ?? ''
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: alice && scope.endsWith(':pull,push') ? `push:${scope}` : 'pull-only' }))
      } else if (req.method === 'POST' && /^\/v2\/.+\/blobs\/uploads\/$/.test(url.pathname)) {
        if (!auth.startsWith('Bearer push:repository:')) return void res.writeHead(401).end('{"errors":[{"code":"DENIED"}]}')
        const id = `u${open.size + log.length}`
        open.add(id)
        res.writeHead(202, { location: `${url.pathname}${id}` }).end()
      } else if (req.method === 'DELETE') {
        open.delete(url.pathname.split('/').at(-1) ?? '')
        res.writeHead(204).end()
      } else {
        res.writeHead(404).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  host = `registry.test:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  fs.rmSync(dir, { recursive: true, force: true })
})

/** registry.test is 127.0.0.1 (the connection asks for every address, the engine check for one). */
const lookup: LookupFunction = (_name, options, callback) => {
  const cb = callback as (e: null, a: string | { address: string; family: number }[], f?: number) => void
  if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }])
  else cb(null, '127.0.0.1', 4)
}

/** A DOCKER_CONFIG and certs.d of the test's own; the registry trusted through certs.d unless told otherwise. */
function setup(config: object | undefined, trust = true): PreflightOptions {
  const home = fs.mkdtempSync(path.join(dir, 'home-'))
  if (config) fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config))
  const certsDir = path.join(home, 'certs.d')
  if (trust) {
    fs.mkdirSync(path.join(certsDir, host), { recursive: true })
    fs.copyFileSync(path.join(dir, 'ca.crt'), path.join(certsDir, host, 'ca.crt'))
  }
  return { dockerConfig: home, certsDir, lookup, engine: { insecureCidrs: [], insecureRegistries: [] }, env: {}, timeoutMs: 5000 }
}

async function failure(tags: string[], options: PreflightOptions): Promise<string> {
  try {
    await checkDestinations(tags, options)
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('checkDestinations resolved')
}

describe('checkDestinations: every destination before anything is pushed', () => {
  it('resolves with a login that may push, leaves no upload behind, and checks a repository once', async () => {
    log.length = 0
    await checkDestinations([`${host}/o/app:1`, `${host}/o/app:latest`], setup({ auths: { [host]: { auth: b64('alice:secret1') } } }))
    expect(log).toEqual([
      'GET /v2/',
      `GET /token?service=registry.test&scope=${encodeURIComponent('repository:o/app:pull,push')}`,
      'POST /v2/o/app/blobs/uploads/',
      expect.stringMatching(/^DELETE \/v2\/o\/app\/blobs\/uploads\/u\d+$/)
    ])
    expect(open.size).toBe(0)
  })

  it('takes a refresh token (identitytoken) the way docker login stores it', async () => {
    await checkDestinations([`${host}/o/app:1`], setup({ auths: { [host]: { identitytoken: 'refresh-alice' } } }))
  })

  it('asks a credential helper through the exec layer', async () => {
    const bin = fs.mkdtempSync(path.join(dir, 'bin-'))
    fs.writeFileSync(
      path.join(bin, 'docker-credential-fake'),
      `#!/bin/sh\nread host\n[ "$host" = "${host}" ] && echo '{"Username":"alice","Secret":"secret1"}' && exit 0\necho "credentials not found in native keychain"; exit 1\n`,
      { mode: 0o755 }
    )
    const saved = process.env.PATH
    process.env.PATH = `${bin}:${saved}`
    try {
      await checkDestinations([`${host}/o/app:1`], setup({ credHelpers: { [host]: 'fake' } }))
      expect(await failure([`${host}/o/app:1`], setup({ credsStore: 'missing-helper' }))).toMatch(
        /the login for registry\.test:\d+ cannot be read: docker-credential-missing-helper was not found on PATH/
      )
    } finally {
      process.env.PATH = saved
    }
  })

  it('fails naming the registry and saying to log in, with no login or a wrong one', async () => {
    const none = await failure([`${host}/o/app:1`], setup(undefined))
    expect(none).toMatch(
      new RegExp(
        `^Nothing was pushed: its destination cannot be pushed to\\.\\n- ${host.replace('.', '\\.')}/o/app: not authorised to push without a login \\(none for ${host.replace('.', '\\.')} in .*config\\.json\\); log in first \\(docker login ${host.replace('.', '\\.')}, or docker/login-action`
      )
    )
    const wrong = await failure([`${host}/o/app:1`], setup({ auths: { [host]: { auth: b64('alice:wrong') } } }))
    expect(wrong).toMatch(/not authorised: the token service of registry\.test:\d+ refused the login with the login of alice from config\.json; log in first/)
    // A token service that hands out a pull-only token: the upload is refused.
    const pullOnly = await failure([`${host}/o/app:1`], setup({ auths: { [host]: { identitytoken: 'refresh-of-bob' } } }))
    expect(pullOnly).toMatch(/registry\.test:\d+\/o\/app: not authorised to push with the login from config\.json; log in first/)
  })

  it('fails when TLS is not trusted, naming certs.d', async () => {
    const msg = await failure([`${host}/o/app:1`], setup({ auths: { [host]: { auth: b64('alice:secret1') } } }, false))
    expect(msg).toMatch(
      new RegExp(
        `TLS: the certificate of ${host.replace('.', '\\.')} is not trusted \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)`
      )
    )
    expect(msg).toContain(`certs.d/${host}/ (ca.crt)`)
  })

  it('skips verification for a registry the engine treats as insecure, as the engine does', async () => {
    const options = {
      ...setup({ auths: { [host]: { auth: b64('alice:secret1') } } }, false),
      engine: { insecureCidrs: ['127.0.0.0/8'], insecureRegistries: [] }
    }
    await checkDestinations([`${host}/o/app:1`], options)
    await checkDestinations([`${host}/o/app:1`], { ...options, engine: { insecureCidrs: [], insecureRegistries: [host] } })
    await expect(
      checkDestinations([`${host}/o/app:1`], { ...options, engine: { insecureCidrs: ['10.0.0.0/8'], insecureRegistries: ['other:5000'] } })
    ).rejects.toThrow(/is not trusted/)
  })

  it('names every destination that fails, and only those', async () => {
    const msg = await failure([`${host}/o/app:1`, '127.0.0.1:1/o/app:1', `${host}/o/other:1`], setup({ auths: { [host]: { auth: b64('alice:secret1') } } }))
    expect(msg.split('\n')).toEqual([
      'Nothing was pushed: 1 of 3 destinations cannot be pushed to.',
      '- 127.0.0.1:1/o/app: 127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1'
    ])
  })
})

describe('what the preflight reads', () => {
  it('places references like the Docker client', () => {
    expect(registryOf('alpine')).toEqual({ domain: 'docker.io', path: 'library/alpine', apiHost: 'registry-1.docker.io' })
    expect(registryOf('user/app:1')).toEqual({ domain: 'docker.io', path: 'user/app', apiHost: 'registry-1.docker.io' })
    expect(registryOf('docker.io/user/app:1')).toEqual({ domain: 'docker.io', path: 'user/app', apiHost: 'registry-1.docker.io' })
    expect(registryOf('index.docker.io/app')).toEqual({ domain: 'docker.io', path: 'library/app', apiHost: 'registry-1.docker.io' })
    expect(registryOf('ghcr.io/o/r/app:1.0')).toEqual({ domain: 'ghcr.io', path: 'o/r/app', apiHost: 'ghcr.io' })
    expect(registryOf('localhost:5000/app')).toEqual({ domain: 'localhost:5000', path: 'app', apiHost: 'localhost:5000' })
    expect(registryOf('localhost/app')).toEqual({ domain: 'localhost', path: 'app', apiHost: 'localhost' })
    expect(credentialKey('docker.io')).toBe('https://index.docker.io/v1/')
  })

  it('knows which hosts the engine and buildx reach over plain HTTP', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) expect(isLoopbackHost(h)).toBe(true)
    for (const h of ['registry.smokestack.test:5443', 'ghcr.io', '10.0.0.1:5000', 'localhost.example.com']) expect(isLoopbackHost(h)).toBe(false)
  })

  it('reads auth challenges, quoting and all', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:o/a:pull' }
    })
    expect(parseChallenge('Basic realm="a \\"quoted\\" realm"')).toEqual({ scheme: 'basic', params: { realm: 'a "quoted" realm' } })
    expect(parseChallenge(undefined)).toBeUndefined()
    expect(quoteAnswer('a\nb\u0000c'.padEnd(300, 'x'))).toMatch(/^"a b cx+…"$/)
  })

  it('reads the logins docker login writes', async () => {
    const home = fs.mkdtempSync(path.join(dir, 'cfg-'))
    fs.writeFileSync(
      path.join(home, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:pw') },
          'https://ghcr.io': { auth: b64('gh:tok:with:colons') },
          'r.example': { identitytoken: 'rt' }
        }
      })
    )
    expect(await registryCredentials('docker.io', home)).toEqual({ username: 'hub', password: 'pw', source: 'config.json' })
    expect(await registryCredentials('ghcr.io', home)).toEqual({ username: 'gh', password: 'tok:with:colons', source: 'config.json' })
    expect(await registryCredentials('r.example', home)).toMatchObject({ identityToken: 'rt' })
    expect(await registryCredentials('quay.io', home)).toBeUndefined()
    fs.writeFileSync(path.join(home, 'config.json'), '{not json')
    await expect(registryCredentials('quay.io', home)).rejects.toThrow(/config\.json is not valid JSON/)
  })
})
