import { describe, it, expect } from '@jest/globals'
import { expandVariables } from '../../../src/dockerfile/variables.js'
import { parseShellCommands } from '../../../src/dockerfile/shell.js'
import { normalizePlatform } from '../../../src/dockerfile/platform.js'
import { imageLibc, isToolchainImage, parseImageReference } from '../../../src/dockerfile/images.js'

describe('expandVariables', () => {
  const vars: Record<string, string> = { A: 'alpha', EMPTY: '', V: 'v7' }
  const lookup = (name: string): string | undefined => vars[name]
  it.each([
    ['$A', 'alpha'],
    ['${A}-x', 'alpha-x'],
    ['$UNSET.', '.'],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${A:+yes}', 'yes'],
    ['${EMPTY:+yes}', ''],
    ['${EMPTY+yes}', 'yes'],
    ['${UNSET:-${A}}', 'alpha'],
    ['${V#v}', '7'],
    ['${A%ha}', 'alp'],
    ['\\$A', '$A'],
    ['$1 and $', '$1 and $']
  ])('%s → %s', (text, expected) => {
    expect(expandVariables(text, lookup)).toBe(expected)
  })

  it('leaves chosen undefined variables as written', () => {
    expect(expandVariables('${TARGETARCH}/x:$T', lookup, { keepUndefined: (n) => n === 'TARGETARCH' })).toBe('${TARGETARCH}/x:')
  })

  it('uses the file escape character', () => {
    expect(expandVariables('`$A \\$A', lookup, { escapeChar: '`' })).toBe('$A \\alpha')
  })
})

describe('parseShellCommands', () => {
  it('splits on operators and newlines, keeps quotes together, drops comments and continuations', () => {
    const commands = parseShellCommands('set -e; A=1 B="x y" go build \\\n  -o /app . && echo \'a && b\' | tee f # note\nrm -rf /x 2>&1')
    expect(commands).toEqual([
      { env: {}, argv: ['set', '-e'] },
      { env: { A: '1', B: 'x y' }, argv: ['go', 'build', '-o', '/app', '.'] },
      { env: {}, argv: ['echo', 'a && b'] },
      { env: {}, argv: ['tee', 'f'] },
      { env: {}, argv: ['rm', '-rf', '/x', '2>&1'] }
    ])
  })

  it('looks through env, sudo, if/then and sh -c', () => {
    expect(parseShellCommands('env -i CGO_ENABLED=0 go build').map((c) => [c.env, c.argv])).toEqual([[{ CGO_ENABLED: '0' }, ['go', 'build']]])
    expect(parseShellCommands('if true; then sudo make; fi').map((c) => c.argv[0])).toEqual(['true', 'make'])
    expect(parseShellCommands(`X=1 sh -c 'CGO_ENABLED=0 go build && gcc a.c'`)).toEqual([
      { env: { X: '1', CGO_ENABLED: '0' }, argv: ['go', 'build'] },
      { env: { X: '1' }, argv: ['gcc', 'a.c'] }
    ])
  })

  it('keeps command substitutions inside their word', () => {
    expect(parseShellCommands('GOARCH=$(go env GOARCH) go build').map((c) => c.argv)).toEqual([['go', 'build']])
  })
})

describe('platforms and images', () => {
  it.each([
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['arm64', 'linux/arm64'],
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm/v6', 'linux/arm/v6']
  ])('normalizePlatform(%s) = %s', (input, expected) => {
    expect(normalizePlatform(input)).toBe(expected)
  })

  it.each([
    ['alpine:3.12', 'musl'],
    ['golang:1.21-alpine', 'musl'],
    ['127.0.0.1:5000/library/alpine@sha256:abc', 'musl'],
    ['scratch', 'none'],
    ['distroless/static-debian12:nonroot', 'none'],
    ['golang:1.15', 'glibc'],
    ['debian:bookworm-slim', 'glibc']
  ])('imageLibc(%s) = %s', (image, expected) => {
    expect(imageLibc(image)).toBe(expected)
  })

  it('reads references with a registry port and a digest', () => {
    expect(parseImageReference('localhost:5000/library/golang:1.21@sha256:0')).toEqual({ path: 'library/golang', name: 'golang', tag: '1.21' })
    expect(isToolchainImage('localhost:5000/library/golang:1.21')).toBe(true)
    expect(isToolchainImage('node:20')).toBe(false)
  })
})
