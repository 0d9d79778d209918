import { describe, it, expect } from '@jest/globals'
import { analyzeDockerfile, DockerfileError, stageRows, type DockerfileInput } from '../../../src/dockerfile/index.js'

const lines = (...l: string[]): string => l.join('\n') + '\n'

function analyze(content: string, options: Partial<DockerfileInput> = {}) {
  return analyzeDockerfile({ path: 'Dockerfile', content, platforms: ['linux/amd64'], nativePlatforms: ['linux/amd64'], buildArgs: {}, ...options })
}

function errorOf(fn: () => unknown): DockerfileError {
  try {
    fn()
  } catch (e) {
    if (e instanceof DockerfileError) return e
    throw e
  }
  throw new Error('expected a DockerfileError')
}

const MULTI = lines(
  '# syntax=docker/dockerfile:1',
  'ARG GO_VERSION=1.15',
  'ARG RUNTIME=alpine:3.12.2',
  'FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build',
  'RUN CGO_ENABLED=0 go build -o /app .',
  '',
  'FROM build AS test',
  'RUN go test ./...',
  '',
  'FROM $RUNTIME as Runtime',
  'COPY --from=build /app /app',
  '',
  'FROM busybox:latest',
  'COPY --from=Runtime /app /app'
)

describe('stages', () => {
  it('reads names, substituted base images, platform flags, stage bases and 1-based lines', () => {
    const { stages } = analyze(MULTI)
    expect(stages.map((s) => [s.index, s.name, s.baseImage, s.baseStage, s.platformFlag, s.line, s.endLine])).toEqual([
      [0, 'build', 'golang:1.15', undefined, '$BUILDPLATFORM', 4, 5],
      [1, 'test', 'build', 0, undefined, 7, 8],
      [2, 'Runtime', 'alpine:3.12.2', undefined, undefined, 10, 11],
      [3, undefined, 'busybox:latest', undefined, undefined, 13, 14]
    ])
    expect(stages[1].rootImage).toBe('golang:1.15')
    expect(stages[2].copiesFrom).toEqual([0])
    expect(stages[3].copiesFrom).toEqual([2])
  })

  it('takes the last stage as the target without one, and follows COPY --from for the chain', () => {
    const analysis = analyze(MULTI)
    expect(analysis.targetStage.index).toBe(3)
    expect(analysis.finalStage.index).toBe(3)
    expect(analysis.chain.map((s) => s.index)).toEqual([0, 2, 3])
  })

  it('selects the target case-insensitively; its chain leaves out later stages', () => {
    const analysis = analyze(MULTI, { target: 'runtime' })
    expect(analysis.targetStage.name).toBe('Runtime')
    expect(analysis.finalStage.index).toBe(3)
    expect(analysis.chain.map((s) => s.name)).toEqual(['build', 'Runtime'])
    expect(stageRows(analysis).map((r) => `${r.label}:${r.role}`)).toEqual(['build:used', 'test:unused', 'Runtime:target', '#3:unused'])
  })

  it('follows FROM <stage> for the chain', () => {
    expect(analyze(MULTI, { target: 'test' }).chain.map((s) => s.name)).toEqual(['build', 'test'])
  })

  it('lets build-args override ARG defaults, and ARG defaults refer to earlier ARGs', () => {
    const content = lines('ARG VERSION=3.12', 'ARG IMAGE=alpine:${VERSION}', 'FROM ${IMAGE}')
    expect(analyze(content).stages[0].baseImage).toBe('alpine:3.12')
    expect(analyze(content, { buildArgs: { VERSION: '3.19' } }).stages[0].baseImage).toBe('alpine:3.19')
    expect(analyze(content, { buildArgs: { IMAGE: 'debian:12' } }).stages[0].baseImage).toBe('debian:12')
  })

  it('expands ${VAR:-default} and ${VAR:+x} in FROM', () => {
    const content = lines('ARG DISTRO', 'ARG SLIM', 'FROM ${DISTRO:-debian}:12${SLIM:+-slim}')
    expect(analyze(content).stages[0].baseImage).toBe('debian:12')
    expect(analyze(content, { buildArgs: { DISTRO: 'ubuntu', SLIM: '1' } }).stages[0].baseImage).toBe('ubuntu:12-slim')
  })

  it('ignores build-args for ARGs that are not declared', () => {
    expect(analyze('FROM alpine:${V}3\n', { buildArgs: { V: '9' } }).stages[0].baseImage).toBe('alpine:3')
  })

  it('resolves FROM ${STAGE} to a stage after substitution', () => {
    const { stages } = analyze(lines('ARG FLAVOR=prod', 'FROM alpine:3.19 AS prod', 'FROM alpine:3.19 AS dev', 'FROM ${FLAVOR}'))
    expect(stages[2].baseStage).toBe(0)
  })

  it('records COPY --from=<image> as an image, not a stage', () => {
    const { stages, chain } = analyze(lines('FROM alpine:3.19', 'COPY --from=busybox:latest /bin/busybox /bin/'))
    expect(stages[0].copiesFromImages).toEqual(['busybox:latest'])
    expect(chain).toHaveLength(1)
  })

  it('reads a # escape=` file with backtick continuations and a CRLF, BOM-prefixed file', () => {
    const backtick = analyze(lines('# escape=`', 'FROM alpine:3.19 AS a', 'RUN echo `', '    hi', 'FROM a'))
    expect(backtick.stages.map((s) => [s.line, s.endLine])).toEqual([
      [2, 4],
      [5, 5]
    ])
    const crlf = analyze('\uFEFFFROM alpine:3.19\r\nRUN apk add \\\r\n  curl\r\n')
    expect(crlf.findings.map((f) => [f.code, f.line, f.endLine])).toEqual([['apk-cache', 2, 3]])
  })
})

describe('errors before building', () => {
  it('refuses an unknown target, listing the stages and suggesting the closest', () => {
    const error = errorOf(() => analyze(lines('FROM golang:1.15 AS build', 'FROM alpine:3.12 AS runtime'), { target: 'biuld' }))
    expect(error.message).toBe('Input "target": no stage named "biuld" in Dockerfile (stages: build, runtime). Did you mean "build"?')
    expect(error.file).toBe('Dockerfile')
  })

  it('gives no suggestion when nothing is close', () => {
    const error = errorOf(() => analyze(lines('FROM golang:1.15 AS build', 'FROM alpine:3.12 AS runtime'), { target: 'production' }))
    expect(error.message).toBe('Input "target": no stage named "production" in Dockerfile (stages: build, runtime).')
  })

  it('says so when no stage has a name', () => {
    expect(errorOf(() => analyze('FROM alpine:3.12\n', { target: 'app' })).message).toContain('no stage has a name')
  })

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing here\n'],
    ['only global ARGs', 'ARG A=1\n']
  ])('refuses %s, naming the file', (_name, content) => {
    const error = errorOf(() => analyzeDockerfile({ path: 'build/Dockerfile.prod', content, platforms: [], nativePlatforms: [], buildArgs: {} }))
    expect(error.message).toMatch(/^build\/Dockerfile\.prod: no FROM instruction/)
  })

  it.each([
    ['an instruction before FROM', lines('RUN echo hi', 'FROM alpine:3.19'), 'Dockerfile:1: RUN comes before the first FROM'],
    ['a FROM without image', lines('FROM alpine:3.19 AS a', 'FROM'), 'Dockerfile:2: FROM takes an image'],
    ['AS without a name', lines('FROM alpine:3.19 AS'), 'Dockerfile:1: FROM takes an image'],
    ['a duplicate stage name', lines('FROM alpine:3.19 AS a', 'FROM alpine:3.19 AS A'), 'Dockerfile:2: stage name "A" is already used on line 1'],
    ['a base image that expands to nothing', lines('ARG BASE', 'FROM $BASE'), 'Dockerfile:2: base image "$BASE" expands to an empty name']
  ])('refuses %s with its line', (_name, content, expected) => {
    expect(errorOf(() => analyze(content)).message).toContain(expected)
  })
})
