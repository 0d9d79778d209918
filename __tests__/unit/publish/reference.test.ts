import { describe, it, expect } from '@jest/globals'
import { isImageReference, parseImageRef, repositoryName, sameTag, tagOf } from '../../../src/docker/reference.js'
import { isLoopbackHost, parseChallenge, registryEndpoint, registryErrorText, transportsFor } from '../../../src/docker/registry-http.js'
import { credentialKey } from '../../../src/docker/credentials.js'

describe('image references', () => {
  it.each([
    ['alpine', 'alpine', 'docker.io', 'library/alpine', undefined, undefined],
    ['alpine:3.12.2', 'alpine', 'docker.io', 'library/alpine', '3.12.2', undefined],
    ['user/app:1', 'user/app', 'docker.io', 'user/app', '1', undefined],
    ['ghcr.io/o/app:v1', 'ghcr.io/o/app', 'ghcr.io', 'o/app', 'v1', undefined],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b', '127.0.0.1:5000', 'a/b', undefined, undefined],
    ['localhost/app:x', 'localhost/app', 'localhost', 'app', 'x', undefined],
    ['LOCALHOST:5000/app:1', 'LOCALHOST:5000/app', 'LOCALHOST:5000', 'app', '1', undefined],
    // Like distribution's parser: a first component that is not lower-case is a registry host.
    ['UPPER/app', 'UPPER/app', 'UPPER', 'app', undefined, undefined],
    ['[::1]:5000/app', '[::1]:5000/app', '[::1]:5000', 'app', undefined, undefined],
    [`r.io/a@sha256:${'a'.repeat(64)}`, 'r.io/a', 'r.io', 'a', undefined, `sha256:${'a'.repeat(64)}`]
  ])('%s → name %s, registry %s, path %s, tag %s, digest %s', (ref, name, registry, path, tag, digest) => {
    expect(parseImageRef(ref)).toEqual({ name, registry, path, tag, digest })
  })
  it.each(['', 'Upper', 'a b', 'app:', ':tag', 'app@sha256:short', 'a//b', `a:${'x'.repeat(129)}`, 'r.io/App', `${'a'.repeat(256)}:1`])('refuses %j', (ref) => {
    expect(isImageReference(ref)).toBe(false)
  })
  it('names repositories and default tags, and knows when two tags are the same', () => {
    expect(repositoryName(parseImageRef('alpine')!)).toBe('docker.io/library/alpine')
    expect(tagOf(parseImageRef('alpine')!)).toBe('latest')
    expect(sameTag('app:v1', 'docker.io/library/app:v1')).toBe(true)
    expect(sameTag('app', 'app:latest')).toBe(true)
    expect(sameTag('app:v1', 'app:v2')).toBe(false)
    expect(sameTag('r.io/app:v1', 'app:v1')).toBe(false)
  })
})

describe('registry client decisions', () => {
  it('reads bearer and basic challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' }
    })
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } })
    expect(parseChallenge(undefined)).toBeUndefined()
  })
  it("speaks plain HTTP to loopback, tries HTTPS unverified then HTTP for the engine's insecure registries, and verifies the rest", async () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true)
    expect(isLoopbackHost('LOCALHOST:5000')).toBe(true)
    expect(isLoopbackHost('[::1]:5000')).toBe(true)
    const ways = async (host: string, insecureCidrs: string[] = [], insecureRegistries: string[] = []): Promise<string[]> =>
      (await transportsFor(host, { engine: { insecureCidrs, insecureRegistries }, certsDir: '/nonexistent', env: {} })).transports.map(
        (t) => `${t.scheme}${t.verify ? '' : ' unverified'}`
      )
    expect(await ways('127.0.0.1:5000')).toEqual(['http unverified'])
    expect(await ways('10.1.2.3:5000')).toEqual(['https'])
    expect(await ways('10.1.2.3:5000', ['10.0.0.0/8'])).toEqual(['https unverified', 'http unverified'])
    expect(await ways('10.1.2.3:5000', ['10.1.3.0/24'])).toEqual(['https'])
    expect(await ways('reg.internal:5000', [], ['reg.internal:5000'])).toEqual(['https unverified', 'http unverified'])
  })
  it('talks to Docker Hub on its API host, and looks its credentials up under the index URL', () => {
    expect(registryEndpoint('docker.io')).toBe('registry-1.docker.io')
    expect(registryEndpoint('ghcr.io')).toBe('ghcr.io')
    expect(credentialKey('docker.io')).toBe('https://index.docker.io/v1/')
    expect(credentialKey('ghcr.io')).toBe('ghcr.io')
  })
  it('says what a registry answered', () => {
    const body = Buffer.from(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }))
    expect(registryErrorText({ status: 403, headers: {}, body })).toBe('403 DENIED: requested access to the resource is denied')
    expect(registryErrorText({ status: 502, headers: {}, body: Buffer.from('<html>') })).toBe('502 "<html>"')
  })
})
