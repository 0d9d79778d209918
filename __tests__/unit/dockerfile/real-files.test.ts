/** What real Dockerfiles do that the first examples did not: each item of the reader's known faults as a table case. */
import { describe, it, expect } from '@jest/globals'
import { analyzeDockerfile, DockerfileError, type DockerfileInput } from '../../../src/dockerfile/index.js'

const lines = (...l: string[]): string => l.join('\n') + '\n'
const AMD64 = ['linux/amd64', 'linux/386']

function analyze(content: string, options: Partial<DockerfileInput> = {}) {
  return analyzeDockerfile({ path: 'Dockerfile', content, platforms: ['linux/amd64'], nativePlatforms: AMD64, buildArgs: {}, ...options })
}
const codes = (content: string, options: Partial<DockerfileInput> = {}): string[] =>
  analyze(content, options)
    .findings.map((f) => `${f.code}@${f.line}`)
    .sort()
const chain = (content: string, options: Partial<DockerfileInput> = {}): string[] => analyze(content, options).chain.map((s) => s.name ?? `#${s.index}`)

describe('COPY --from beside other flags', () => {
  const file = (flags: string): string =>
    lines('FROM golang:1.22 AS build', 'RUN CGO_ENABLED=0 go build -o /app .', 'FROM alpine:3.19 AS unused', 'FROM alpine:3.19', `COPY ${flags} /app /app`)
  it.each([
    ['--from alone', '--from=build'],
    ['--chown before', '--chown=10001:10001 --from=build'],
    ['--chmod after', '--from=build --chmod=0755'],
    ['--link before', '--link --from=build'],
    ['three flags', '--link --chown=app:app --from=build --chmod=755']
  ])('%s: the build stage feeds the image', (_name, flags) => {
    expect(chain(file(flags))).toEqual(['build', '#2'])
  })

  it('keeps the emulated-compile warning of a stage reached by COPY --chown --from', () => {
    const content = lines('FROM golang:1.22 AS build', 'RUN go build -o /app .', 'FROM alpine:3.19', 'COPY --chown=1:1 --from=build /app /app')
    expect(codes(content, { platforms: ['linux/amd64', 'linux/arm64'] })).toEqual(['cgo-on-musl@2', 'emulated-compile@1'])
  })
})

describe('stage names made of platform arguments, resolved per platform', () => {
  const perOs = lines('FROM alpine:3.19 AS binary-linux', 'COPY app /app', 'FROM alpine:3.19 AS binary-windows', 'FROM binary-$TARGETOS', 'ENTRYPOINT ["/app"]')
  it('FROM binary-$TARGETOS is the linux stage on linux', () => {
    const analysis = analyze(perOs)
    expect(analysis.stages[2].baseStage).toBe(0)
    expect(analysis.chain.map((s) => s.name ?? '#2')).toEqual(['binary-linux', '#2'])
  })

  const perArch = lines(
    'FROM --platform=$BUILDPLATFORM golang:1.22 AS build_amd64',
    'FROM --platform=$BUILDPLATFORM golang:1.22 AS build_arm64',
    'FROM --platform=$BUILDPLATFORM golang:1.22 AS build_armv7',
    'FROM build_${TARGETARCH}${TARGETVARIANT} AS build',
    'FROM alpine:3.19',
    'COPY --from=build /app /app'
  )
  it.each([
    [['linux/amd64'], ['build_amd64', 'build', '#4']],
    [['linux/arm/v7'], ['build_armv7', 'build', '#4']],
    [
      ['linux/amd64', 'linux/arm/v7'],
      ['build_amd64', 'build_armv7', 'build', '#4']
    ]
  ])('FROM build_${TARGETARCH}${TARGETVARIANT} for %j', (platforms, expected) => {
    expect(chain(perArch, { platforms })).toEqual(expected)
  })

  it('COPY --from=tools-${TARGETARCH} follows the stage of the platform built', () => {
    const content = lines(
      'FROM alpine:3.19 AS tools-amd64',
      'FROM alpine:3.19 AS tools-arm64',
      'FROM alpine:3.19',
      'COPY --chown=0:0 --from=tools-${TARGETARCH} /t /t'
    )
    expect(chain(content, { platforms: ['linux/arm64'] })).toEqual(['tools-arm64', '#2'])
  })

  it('a name that is no stage on any platform stays an image', () => {
    const analysis = analyze(lines('FROM ${TARGETARCH}/alpine:3.19'))
    expect(analysis.stages[0].baseStage).toBeUndefined()
    expect(analysis.stages[0].baseImage).toBe('${TARGETARCH}/alpine:3.19')
  })
})

describe('references broken by substitution', () => {
  function refusal(content: string): string {
    try {
      analyze(content)
    } catch (e) {
      if (e instanceof DockerfileError) return e.message
      throw e
    }
    return 'accepted'
  }
  it.each([
    [
      'an empty tag',
      lines('ARG GO_VERSION=', 'FROM golang:${GO_VERSION}'),
      'Dockerfile:2: base image "golang:${GO_VERSION}" expands to "golang:", which is not a valid image reference: the tag after ":" is empty.'
    ],
    ['an upper-case name', lines('ARG NAME=Alpine', 'FROM ${NAME}:3.19'), 'the repository name must be lowercase'],
    ['an empty path component', lines('ARG ORG=', 'FROM ghcr.io/${ORG}/app:1'), 'empty path component'],
    ['a bad digest', lines('FROM alpine@sha256:xyz'), 'is not a digest']
  ])('refuses %s, naming the line', (_name, content, expected) => {
    expect(refusal(content)).toContain(expected)
  })

  it.each([
    ['registry with port, digest', 'FROM localhost:5000/library/alpine:3.19@sha256:' + 'a'.repeat(64)],
    ['scratch', 'FROM scratch'],
    ['separators', 'FROM quay.io/prometheus/busybox-linux-amd64:glibc'],
    ['platform args left for BuildKit', 'FROM ${TARGETARCH}/alpine']
  ])('accepts %s', (_name, content) => {
    expect(refusal(content + '\n')).toBe('accepted')
  })

  it('warns when a tag ends in a separator a variable should have followed', () => {
    expect(codes(lines('ARG VARIANT=', 'FROM node:20-${VARIANT}'))).toEqual(['suspect-reference@2'])
    expect(codes(lines('ARG VARIANT=alpine', 'FROM node:20-${VARIANT}'))).toEqual([])
    expect(codes(lines('FROM node:20-'))).toEqual([])
  })
})

describe('false positives of the advice', () => {
  it.each([
    ['buildpack-deps:jessie-curl', []],
    ['buildpack-deps:bookworm-scm', []],
    ['buildpack-deps:bookworm', ['toolchain-final-stage@1']]
  ])('toolchain-final-stage on %s', (image, expected) => {
    expect(codes(lines(`FROM ${image}`, 'CMD ["sh"]'))).toEqual(expected)
  })

  it('cgo-on-musl: a static link made through a variable is static', () => {
    const content = (value: string): string =>
      lines(
        'FROM golang:1.22 AS build',
        `ARG LD_EXTRA="${value}"`,
        'RUN go build -ldflags="-s -w ${LD_EXTRA}" -o /app .',
        'FROM alpine:3.19',
        'COPY --from=build /app /app'
      )
    expect(codes(content('-extldflags -static'))).toEqual([])
    expect(codes(content('-X main.v=1'))).toEqual(['cgo-on-musl@3'])
  })

  it('buildplatform-without-targetarch: a host tool used only by other build-platform stages is right as it is', () => {
    const content = (consumer: string): string =>
      lines(
        'FROM --platform=$BUILDPLATFORM golang:1.22 AS gen',
        'RUN CGO_ENABLED=0 go build -o /protoc-gen ./tools/protoc-gen',
        `FROM ${consumer} golang:1.22 AS build`,
        'ARG TARGETOS TARGETARCH',
        'COPY --from=gen /protoc-gen /usr/local/bin/',
        'RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app .',
        'FROM scratch',
        'COPY --from=build /app /app'
      )
    const options = { platforms: ['linux/amd64', 'linux/arm64'] }
    expect(codes(content('--platform=$BUILDPLATFORM'), options)).toEqual([])
    expect(
      codes(
        lines('FROM --platform=$BUILDPLATFORM golang:1.22 AS gen', 'RUN CGO_ENABLED=0 go build -o /app .', 'FROM scratch', 'COPY --from=gen /app /app'),
        options
      )
    ).toEqual(['buildplatform-without-targetarch@2'])
  })

  it.each([
    ['if … then, condition false', 'RUN if [ "$DEBUG" = "true" ]; then apt-get update && apt-get install -y gdb; fi', {}, []],
    ['if … then, condition true', 'RUN if [ "$DEBUG" = "true" ]; then apt-get update && apt-get install -y gdb; fi', { DEBUG: 'true' }, ['apt-cache@3']],
    ['else branch taken', 'RUN if [ "$DEBUG" = "true" ]; then echo; else apt-get install -y curl; fi', {}, ['apt-cache@3']],
    ['test && install, false', 'RUN [ "$DEBUG" = "true" ] && apt-get install -y gdb || true', {}, []],
    ['test || install, test true', 'RUN [ -n "$DEBUG" ] || apt-get install -y gdb', {}, []],
    ['a platform condition is not known: may run', 'RUN if [ "$TARGETARCH" = "arm64" ]; then apt-get install -y qemu; fi', {}, ['apt-cache@3']]
  ])('apt-cache inside a shell branch: %s', (_name, run, buildArgs, expected) => {
    expect(codes(lines('FROM debian:bookworm-slim', 'ARG DEBUG=false', run), { buildArgs })).toEqual(expected)
  })

  it.each([
    ['busybox:1.36-musl', ['cgo-on-musl@2']],
    ['busybox:musl', ['cgo-on-musl@2']],
    ['busybox:1.36-glibc', []]
  ])('the C library of %s', (image, expected) => {
    expect(codes(lines('FROM golang:1.22 AS build', 'RUN go build -o /app .', `FROM ${image}`, 'COPY --from=build /app /app'))).toEqual(expected)
  })
})

describe('misses of the advice', () => {
  const both = { platforms: ['linux/amd64', 'linux/arm64'] }
  it('an ARG ARCH default choosing the base image in a multi-platform build', () => {
    const content = lines(
      'ARG ARCH="amd64"',
      'ARG OS="linux"',
      'FROM quay.io/prometheus/busybox-${OS}-${ARCH}:latest',
      'COPY .build/${OS}-${ARCH}/prometheus /bin/prometheus'
    )
    expect(codes(content, both)).toEqual(['arch-pinned-by-arg@3'])
    expect(analyze(content, both).findings[0].message).toContain('linux/arm64 gets the amd64 one')
    expect(codes(content)).toEqual([])
  })

  it('FROM --platform=linux/${GOARCH} with GOARCH=amd64, unless the stage cross-compiles for the target', () => {
    expect(codes(lines('ARG GOARCH=amd64', 'FROM --platform=linux/${GOARCH} alpine:3.19', 'CMD ["sh"]'), both)).toEqual(['arch-pinned-by-arg@2'])
    const cross = lines(
      'ARG HOSTARCH=amd64',
      'FROM --platform=linux/${HOSTARCH} golang:1.22 AS build',
      'ARG TARGETARCH',
      'RUN CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /app .',
      'FROM scratch',
      'COPY --from=build /app /app'
    )
    expect(codes(cross, both)).toEqual([])
  })

  it('go run build.go compiles under emulation', () => {
    expect(codes(lines('FROM golang:1.22 AS build', 'RUN go run build.go', 'FROM scratch', 'COPY --from=build /app /app'), both)).toEqual([
      'emulated-compile@1'
    ])
  })

  it.each([
    ['xx-apk add without --no-cache', 'RUN xx-apk add gcc musl-dev', ['apk-cache@2']],
    ['xx-apk add --no-cache', 'RUN xx-apk add --no-cache gcc musl-dev', []],
    ['apk update leaves the index', 'RUN apk update && apk add --no-cache curl', ['apk-cache@2']],
    ['apk update, index removed', 'RUN apk update && apk add curl && rm -rf /var/cache/apk/*', []]
  ])('%s', (_name, run, expected) => {
    expect(codes(lines('FROM alpine:3.19', run))).toEqual(expected)
  })
})

describe('wording of the emulated-compile fix', () => {
  const fix = (content: string): string => analyze(content, { platforms: ['linux/arm64'] }).findings.find((f) => f.code === 'emulated-compile')?.fix ?? ''
  it('does not offer CGO_ENABLED=0 to a build that needs cgo', () => {
    const tags = fix(
      lines('FROM golang:1.22-alpine', 'RUN apk add --no-cache gcc musl-dev', 'RUN go build -tags "sqlite_omit_load_extension libsqlite3" -o /app .')
    )
    expect(tags).not.toContain('CGO_ENABLED=0')
    expect(tags).toContain('xx-go build')
    expect(tags).toContain('xx-apk add')
    expect(fix(lines('FROM golang:1.22', 'RUN CGO_ENABLED=1 go build -o /app .'))).toContain('xx-apt-get install')
    expect(fix(lines('FROM golang:1.22', 'RUN go build -o /app .'))).toContain('CGO_ENABLED=0 GOOS=$TARGETOS')
  })

  it('offers an alpine C build alpine tools, not Debian cross packages', () => {
    const alpine = fix(lines('FROM alpine:3.19', 'RUN apk add --no-cache build-base', 'RUN make -j4'))
    expect(alpine).not.toContain('gcc-aarch64-linux-gnu')
    expect(alpine).toContain('xx-apk add')
    expect(fix(lines('FROM debian:bookworm', 'RUN make'))).toContain('gcc-aarch64-linux-gnu')
  })

  it('names the compile step, not make clean', () => {
    const content = lines('FROM debian:bookworm', 'RUN make clean && make -j4 redis-server')
    expect(analyze(content, { platforms: ['linux/arm64'] }).findings[0].message).toContain('(`make redis-server`)')
    expect(codes(lines('FROM debian:bookworm', 'RUN make clean'), { platforms: ['linux/arm64'] })).toEqual([])
  })
})

describe('found by running the reader over real files', () => {
  const both = { platforms: ['linux/amd64', 'linux/arm64'] }
  it('a compile inside a case arm (chosen by the build machine) is not sure to run', () => {
    const run = 'RUN case "$(dpkg --print-architecture)" in amd64|arm64) apt-get install -y nginx ;; *) make -C src && make install ;; esac'
    expect(codes(lines('FROM debian:bookworm', run), both)).toEqual(['apt-cache@2'])
    expect(codes(lines('FROM debian:bookworm', 'RUN make -C src'), both)).toEqual(['emulated-compile@1'])
  })

  it('an if on a value the Dockerfile leaves unset is decided: ARG GPU without a value is empty', () => {
    const content = lines('FROM debian:bookworm-slim', 'ARG GPU', 'RUN if [ -n "$GPU" ]; then apt-get update && apt-get install -y libvulkan1; fi')
    expect(codes(content)).toEqual([])
    expect(codes(content, { buildArgs: { GPU: 'nvidia' } })).toEqual(['apt-cache@3'])
  })

  it('apk add --no-network fetches no index', () => {
    expect(codes(lines('FROM alpine:3.19', 'RUN apk add --no-network --virtual .rundeps $runDeps'))).toEqual([])
  })

  it.each([
    [
      'a tool copied into a golang image (a linter image)',
      lines('FROM golang:1.22', 'COPY $TARGETPLATFORM/golangci-lint /usr/bin/', 'CMD ["golangci-lint"]'),
      'Dockerfile',
      []
    ],
    [
      'a program built elsewhere, run on golang on purpose',
      lines('FROM golang:1.22 AS build', 'RUN go build -o /hugo .', 'FROM golang:1.22', 'COPY --from=build /hugo /usr/bin/hugo'),
      'Dockerfile',
      []
    ],
    [
      'a builder image by its file name',
      lines('FROM golang:1.22', 'RUN apt-get update && apt-get install -y ruby && rm -rf /var/lib/apt/lists/*'),
      'Dockerfile.builder',
      []
    ],
    [
      'a compile in the shipped golang stage',
      lines('FROM golang:1.22', 'COPY . .', 'RUN go build -o /usr/bin/app .', 'CMD ["app"]'),
      'Dockerfile',
      ['toolchain-final-stage@1']
    ]
  ])('toolchain-final-stage: %s', (_name, content, path, expected) => {
    expect(codes(content, { path })).toEqual(expected)
  })

  it('buildplatform-without-targetarch: a host tool passed through a scratch stage to a build-platform stage', () => {
    const content = lines(
      'ARG FROM_SOURCE=true',
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS base',
      'FROM base AS tool-build',
      'RUN go build -o /out/linter ./cmd/linter',
      'FROM scratch AS tool-true',
      'COPY --from=tool-build /out/linter /linter',
      'FROM tool-${FROM_SOURCE} AS tool',
      'FROM base AS lint',
      'COPY --from=tool /linter /usr/bin/linter',
      'RUN linter run ./...'
    )
    expect(codes(content, both)).toEqual([])
  })

  it('arch-pinned-by-arg: a COPY path chosen by an ARG default in the shipped stage', () => {
    const content = lines('FROM busybox:1.36', 'ARG ARCH="amd64"', 'ARG OS="linux"', 'COPY .build/${OS}-${ARCH}/thanos /bin/thanos')
    expect(codes(content, both)).toEqual(['arch-pinned-by-arg@4'])
    expect(codes(content)).toEqual([])
    expect(codes(content.replace('ARG ARCH="amd64"', 'ARG TARGETARCH').replace('${ARCH}', '${TARGETARCH}'), both)).toEqual([])
  })
})
