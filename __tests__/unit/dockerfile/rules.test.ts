import { describe, it, expect } from '@jest/globals'
import { analyzeDockerfile, type DockerfileInput } from '../../../src/dockerfile/index.js'

const AMD64_HOST = ['linux/amd64', 'linux/386']
const ALL = ['linux/amd64', 'linux/arm64', 'linux/arm/v7']

/** `code@line` of every finding, sorted. */
function advice(content: string, options: Partial<DockerfileInput> = {}): string[] {
  const analysis = analyzeDockerfile({
    path: 'Dockerfile',
    content,
    platforms: ['linux/amd64'],
    nativePlatforms: AMD64_HOST,
    buildArgs: {},
    ...options
  })
  return analysis.findings.map((f) => `${f.code}@${f.line}`).sort()
}

const lines = (...l: string[]): string => l.join('\n') + '\n'

const TUTORIAL = lines(
  'FROM golang:1.15 AS build_bin',
  'WORKDIR /code',
  'COPY . .',
  'RUN go build -o hellodocker-go .',
  'FROM alpine:3.12.2',
  'COPY --from=build_bin /code/hellodocker-go /code/hellodocker-go',
  'ENTRYPOINT ["/code/hellodocker-go"]'
)

describe('cgo-on-musl', () => {
  const cases: Array<[string, string, Partial<DockerfileInput>, string[]]> = [
    ['the tutorial: glibc builder, alpine final stage', TUTORIAL, {}, ['cgo-on-musl@4']],
    ['fixed with ENV CGO_ENABLED=0', TUTORIAL.replace('WORKDIR /code', 'ENV CGO_ENABLED=0\nWORKDIR /code'), {}, []],
    ['fixed with legacy ENV CGO_ENABLED 0', TUTORIAL.replace('WORKDIR /code', 'ENV CGO_ENABLED 0\nWORKDIR /code'), {}, []],
    ['fixed inline', TUTORIAL.replace('RUN go build', 'RUN CGO_ENABLED=0 go build'), {}, []],
    ['fixed with env(1)', TUTORIAL.replace('RUN go build', 'RUN env CGO_ENABLED=0 go build'), {}, []],
    ['ENV CGO_ENABLED=1 is not a fix', TUTORIAL.replace('WORKDIR /code', 'ENV CGO_ENABLED=1\nWORKDIR /code'), {}, ['cgo-on-musl@5']],
    ['inline on another command does not count', TUTORIAL.replace('RUN go build', 'RUN CGO_ENABLED=0 go vet ./... && go build'), {}, ['cgo-on-musl@4']],
    [
      'export in a multi-line RUN with && and \\',
      lines(
        'FROM golang:1.15 AS build',
        'RUN export CGO_ENABLED=0 && \\',
        '    go mod download && \\',
        '    go build -o /app .',
        'FROM alpine:3.12',
        'COPY --from=build /app /app'
      ),
      {},
      []
    ],
    [
      'multi-line RUN without the setting fires on the RUN line',
      lines(
        'FROM golang:1.15 AS build',
        'WORKDIR /src',
        'RUN go mod download && \\',
        '    # build it',
        '    go build -o /app .',
        'FROM alpine:3.12',
        'COPY --from=build /app /app'
      ),
      {},
      ['cgo-on-musl@3']
    ],
    [
      'ENV set in an earlier stage the build stage derives from',
      lines('FROM golang:1.15 AS base', 'ENV CGO_ENABLED=0', 'FROM base AS build', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      {},
      []
    ],
    [
      'go env -w in an earlier RUN persists',
      lines('FROM golang:1.15 AS build', 'RUN go env -w CGO_ENABLED=0', 'RUN go build -o /app .', 'FROM scratch', 'COPY --from=build /app /app'),
      {},
      []
    ],
    [
      'ARG CGO_ENABLED=0 in the stage',
      lines('FROM golang:1.15 AS build', 'ARG CGO_ENABLED=0', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      {},
      []
    ],
    [
      'a build-arg overrides the ARG default',
      lines('FROM golang:1.15 AS build', 'ARG CGO_ENABLED=0', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      { buildArgs: { CGO_ENABLED: '1' } },
      ['cgo-on-musl@3']
    ],
    [
      'a global ARG is not in scope unless declared in the stage',
      lines('ARG CGO_ENABLED=0', 'FROM golang:1.15 AS build', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      {},
      ['cgo-on-musl@3']
    ],
    [
      'a global ARG redeclared in the stage takes the global default',
      lines('ARG CGO_ENABLED=0', 'FROM golang:1.15 AS build', 'ARG CGO_ENABLED', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      {},
      []
    ],
    ['scratch final stage', TUTORIAL.replace('FROM alpine:3.12.2', 'FROM scratch'), {}, ['cgo-on-musl@4']],
    ['distroless/static final stage', TUTORIAL.replace('FROM alpine:3.12.2', 'FROM distroless/static-debian12'), {}, ['cgo-on-musl@4']],
    ['glibc final stage', TUTORIAL.replace('FROM alpine:3.12.2', 'FROM debian:bookworm-slim'), {}, []],
    ['golang:alpine builder to alpine links musl: fine', TUTORIAL.replace('golang:1.15', 'golang:1.15-alpine'), {}, []],
    [
      'golang:alpine builder to scratch: musl loader missing',
      TUTORIAL.replace('golang:1.15', 'golang:1.15-alpine').replace('FROM alpine:3.12.2', 'FROM scratch'),
      {},
      ['cgo-on-musl@4']
    ],
    ['a statically linked cgo build', TUTORIAL.replace('go build', `go build -ldflags '-extldflags "-static"'`), {}, []],
    [
      'heredoc RUN',
      lines(
        '# syntax=docker/dockerfile:1',
        'FROM golang:1.15 AS build',
        'RUN <<EOF',
        'set -e',
        'go build -o /app .',
        'EOF',
        'FROM alpine:3.12',
        'COPY --from=build /app /app'
      ),
      {},
      ['cgo-on-musl@3']
    ],
    [
      'heredoc RUN with the setting exported',
      lines(
        'FROM golang:1.15 AS build',
        'RUN <<EOF bash',
        'export CGO_ENABLED=0',
        'go build -o /app .',
        'EOF',
        'FROM alpine:3.12',
        'COPY --from=build /app /app'
      ),
      {},
      []
    ],
    [
      'heredoc that is data, not the script',
      lines('FROM golang:1.15 AS build', 'RUN cat <<EOF > /notes.txt', 'go build', 'EOF', 'FROM alpine:3.12', 'COPY --from=build /notes.txt /'),
      {},
      []
    ],
    [
      'exec-form RUN through sh -c',
      TUTORIAL.replace('RUN go build -o hellodocker-go .', 'RUN ["sh", "-c", "CGO_ENABLED=0 go build -o hellodocker-go ."]'),
      {},
      []
    ],
    ['exec-form RUN', TUTORIAL.replace('RUN go build -o hellodocker-go .', 'RUN ["go", "build", "-o", "hellodocker-go", "."]'), {}, ['cgo-on-musl@4']],
    [
      'lower-case keywords and "as", COPY --from by index',
      lines('from golang:1.15 as build', 'run go build -o /app .', 'from alpine:3.12', 'copy --from=0 /app /app'),
      {},
      ['cgo-on-musl@2']
    ],
    [
      'stage names are case-insensitive',
      lines('FROM golang:1.15 AS Build', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      {},
      ['cgo-on-musl@2']
    ],
    [
      'files reach the target through RUN --mount=from',
      lines(
        'FROM golang:1.15 AS build',
        'RUN go build -o /app .',
        'FROM alpine:3.12',
        'RUN --mount=from=build,source=/app,target=/mnt/app cp /mnt/app /usr/local/bin/app'
      ),
      {},
      ['cgo-on-musl@2']
    ],
    [
      'a stage that does not reach the target is not considered',
      lines('FROM golang:1.15 AS build', 'RUN go build -o /app .', 'FROM alpine:3.12', 'COPY --from=busybox:latest /bin/busybox /bin/busybox'),
      {},
      []
    ],
    [
      'ARG-substituted images: golang:${GO_VERSION} and $BASE',
      lines(
        'ARG GO_VERSION=1.15',
        'ARG BASE=alpine:3.12',
        'FROM golang:${GO_VERSION} AS build',
        'RUN go build -o /app .',
        'FROM $BASE',
        'COPY --from=build /app /app'
      ),
      {},
      ['cgo-on-musl@4']
    ],
    [
      'a build-arg changes the base image',
      lines('ARG BASE=alpine:3.12', 'FROM golang:1.15 AS build', 'RUN go build -o /app .', 'FROM ${BASE}', 'COPY --from=build /app /app'),
      { buildArgs: { BASE: 'debian:bookworm-slim' } },
      []
    ],
    [
      '# escape=` with backtick continuations',
      lines(
        '# escape=`',
        'FROM golang:1.15 AS build',
        'RUN go mod download && `',
        '    CGO_ENABLED=0 go build -o /app .',
        'FROM alpine:3.12',
        'COPY --from=build /app /app'
      ),
      {},
      []
    ],
    [
      '# escape=` without the setting',
      lines('# escape=`', 'FROM golang:1.15 AS build', 'RUN go mod download && `', '    go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app'),
      {},
      ['cgo-on-musl@3']
    ]
  ]
  it.each(cases)('%s', (_name, content, options, expected) => {
    expect(advice(content, options)).toEqual(expected)
  })
})

describe('cross-compiling from $BUILDPLATFORM', () => {
  const crossCompile = lines(
    'FROM --platform=$BUILDPLATFORM golang:1.21 AS build',
    'ARG TARGETOS TARGETARCH TARGETVARIANT',
    'WORKDIR /src',
    'COPY . .',
    'RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} go build -o /app .',
    'FROM alpine:3.19',
    'COPY --from=build /app /app'
  )
  const cases: Array<[string, string, Partial<DockerfileInput>, string[]]> = [
    ['with TARGETOS/TARGETARCH: silent for every platform', crossCompile, { platforms: ALL }, []],
    [
      'without TARGETARCH: every platform gets the host binary',
      lines('FROM --platform=$BUILDPLATFORM golang:1.21 AS build', 'RUN CGO_ENABLED=0 go build -o /app .', 'FROM alpine:3.19', 'COPY --from=build /app /app'),
      { platforms: ALL },
      ['buildplatform-without-targetarch@2']
    ],
    [
      'without TARGETARCH but only the host platform requested',
      lines('FROM --platform=$BUILDPLATFORM golang:1.21 AS build', 'RUN CGO_ENABLED=0 go build -o /app .', 'FROM alpine:3.19', 'COPY --from=build /app /app'),
      { platforms: ['linux/amd64'] },
      []
    ],
    [
      'inherits $BUILDPLATFORM from the stage it derives from',
      lines(
        'FROM --platform=$BUILDPLATFORM golang:1.21 AS base',
        'ENV CGO_ENABLED=0',
        'FROM base AS build',
        'RUN go build -o /app .',
        'FROM alpine:3.19',
        'COPY --from=build /app /app'
      ),
      { platforms: ALL },
      ['buildplatform-without-targetarch@4']
    ],
    ['cross-compiling still runs cgo for the native platform', crossCompile.replace('CGO_ENABLED=0 ', ''), { platforms: ALL }, ['cgo-on-musl@5']]
  ]
  it.each(cases)('%s', (_name, content, options, expected) => {
    expect(advice(content, options)).toEqual(expected)
  })
})

describe('emulated-compile', () => {
  const build = (from: string, run = 'RUN CGO_ENABLED=0 go build -o /app .'): string =>
    lines(`${from} AS build`, 'ARG TARGETARCH', run, 'FROM alpine:3.19', 'COPY --from=build /app /app')
  const cases: Array<[string, string, Partial<DockerfileInput>, string[]]> = [
    ['no --platform, a non-native platform requested', build('FROM golang:1.21'), { platforms: ALL }, ['emulated-compile@1']],
    ['no --platform, only native platforms requested', build('FROM golang:1.21'), { platforms: ['linux/amd64', 'linux/386'] }, []],
    ['--platform=$TARGETPLATFORM', build('FROM --platform=$TARGETPLATFORM golang:1.21'), { platforms: ['linux/arm64'] }, ['emulated-compile@1']],
    [
      '--platform=$BUILDPLATFORM',
      build('FROM --platform=$BUILDPLATFORM golang:1.21', 'RUN CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /app .'),
      { platforms: ALL },
      []
    ],
    [
      'on an arm64 host, arm/v7 is native',
      build('FROM golang:1.21'),
      { platforms: ['linux/arm64', 'linux/arm/v7'], nativePlatforms: ['linux/arm64', 'linux/arm/v7', 'linux/arm/v6'] },
      []
    ],
    ['a literal non-native --platform', build('FROM --platform=linux/arm64 golang:1.21'), { platforms: ['linux/amd64'] }, ['emulated-compile@1']],
    ['gcc counts as compiling', build('FROM debian:bookworm', 'RUN gcc -O2 -o /app main.c'), { platforms: ALL }, ['emulated-compile@1']],
    ['cargo build counts as compiling', build('FROM rust:1.75', 'RUN cargo build --release'), { platforms: ALL }, ['emulated-compile@1']],
    ['make counts as compiling', build('FROM debian:bookworm', 'RUN ./configure && make -j2'), { platforms: ALL }, ['emulated-compile@1']],
    ['installing packages is not compiling', build('FROM debian:bookworm', 'RUN echo hi > /app'), { platforms: ALL }, []],
    [
      'a compiling stage that does not reach the target',
      lines('FROM golang:1.21 AS tools', 'RUN CGO_ENABLED=0 go build -o /tool .', 'FROM alpine:3.19', 'RUN echo hi'),
      { platforms: ALL },
      []
    ]
  ]
  it.each(cases)('%s', (_name, content, options, expected) => {
    expect(advice(content, options)).toEqual(expected)
  })

  it('suggests GOARM from $TARGETVARIANT when arm/v7 is requested, and names the emulated platforms', () => {
    const analysis = analyzeDockerfile({
      path: 'Dockerfile',
      content: build('FROM golang:1.21'),
      platforms: ALL,
      nativePlatforms: AMD64_HOST,
      buildArgs: {}
    })
    const [finding] = analysis.findings
    expect(finding.fix).toContain('FROM --platform=$BUILDPLATFORM golang:1.21')
    expect(finding.fix).toContain('GOARM=${TARGETVARIANT#v}')
    expect(finding.message).toContain('linux/arm64, linux/arm/v7')
    expect(finding.message).not.toContain('linux/amd64')
  })
})

describe('package caches in shipped stages', () => {
  const cases: Array<[string, string, string[]]> = [
    ['apk add without --no-cache', lines('FROM alpine:3.19', 'RUN apk add curl'), ['apk-cache@2']],
    ['apk add --no-cache', lines('FROM alpine:3.19', 'RUN apk add --no-cache curl'), []],
    ['apk --no-cache add', lines('FROM alpine:3.19', 'RUN apk --no-cache add curl'), []],
    ['apk add then rm -rf /var/cache/apk/*', lines('FROM alpine:3.19', 'RUN apk update && apk add curl && rm -rf /var/cache/apk/*'), []],
    ['apk add with a cache mount', lines('FROM alpine:3.19', 'RUN --mount=type=cache,target=/var/cache/apk apk add curl'), []],
    ['apk add in a build stage only', lines('FROM alpine:3.19 AS build', 'RUN apk add gcc', 'FROM alpine:3.19', 'COPY --from=build /etc/hostname /x'), []],
    ['apk add in a stage the target derives from', lines('FROM alpine:3.19 AS base', 'RUN apk add curl', 'FROM base', 'RUN echo hi'), ['apk-cache@2']],
    ['apt-get install without cleaning', lines('FROM debian:bookworm', 'RUN apt-get update && apt-get install -y curl'), ['apt-cache@2']],
    [
      'apt-get install cleaned in the same RUN',
      lines('FROM debian:bookworm', 'RUN apt-get update \\', '  && apt-get install -y --no-install-recommends curl \\', '  && rm -rf /var/lib/apt/lists/*'),
      []
    ],
    [
      'apt-get install cleaned in a later RUN',
      lines('FROM debian:bookworm', 'RUN apt-get update && apt-get install -y curl', 'RUN rm -rf /var/lib/apt/lists/*'),
      ['apt-cache@2']
    ]
  ]
  it.each(cases)('%s', (_name, content, expected) => {
    expect(advice(content)).toEqual(expected)
  })
})

describe('toolchain-final-stage', () => {
  const cases: Array<[string, string, string[]]> = [
    ['golang as the shipped image', lines('FROM golang:1.21', 'RUN CGO_ENABLED=0 go build -o /app .'), ['toolchain-final-stage@1']],
    ['rust as the shipped image', lines('FROM rust:1.75', 'CMD ["cargo", "run"]'), ['toolchain-final-stage@1']],
    ['through a stage the target derives from', lines('FROM gcc:13 AS base', 'FROM base', 'CMD ["/a"]'), ['toolchain-final-stage@1']],
    ['node is a runtime, not a toolchain', lines('FROM node:20-alpine', 'CMD ["node", "x.js"]'), []],
    ['golang only as a builder', lines('FROM golang:1.21 AS b', 'RUN echo', 'FROM alpine:3.19', 'COPY --from=b /etc/hostname /x'), []],
    ['a targeted golang stage', lines('FROM golang:1.21 AS dev', 'RUN echo', 'FROM alpine:3.19'), []]
  ]
  it.each(cases)('%s', (_name, content, expected) => {
    expect(advice(content)).toEqual(expected)
  })

  it('applies to the target stage, not the last one', () => {
    expect(advice(lines('FROM golang:1.21 AS dev', 'RUN echo', 'FROM alpine:3.19'), { target: 'dev' })).toEqual(['toolchain-final-stage@1'])
  })
})

describe('findings', () => {
  it('carry the Dockerfile path, a fix, and 1-based line ranges', () => {
    const content = lines('FROM golang:1.15 AS build', 'RUN go mod download && \\', '    go build -o /app .', 'FROM alpine:3.12', 'COPY --from=build /app /app')
    const { findings } = analyzeDockerfile({ path: 'app/Dockerfile', content, platforms: ['linux/amd64'], nativePlatforms: AMD64_HOST, buildArgs: {} })
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ severity: 'warning', code: 'cgo-on-musl', file: 'app/Dockerfile', line: 2, endLine: 3 })
    expect(findings[0].fix).toContain('CGO_ENABLED=0')
    expect(findings[0].evidence).toContain('"build" → COPY --from → #1')
  })
})
