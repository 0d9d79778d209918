/**
 * The wording of the cross-compilation fix for a stage that compiles under emulation, fitted to
 * what the stage builds: Go with or without cgo, Rust, or C/C++ on a Debian-like or an alpine base.
 */
import { imageLibc } from './images.js'
import type { StageModel } from './parse.js'
import { programName, type ShellCommand } from './shell.js'

/** Go build tags that only work with cgo (a C library behind them). */
const CGO_TAGS =
  /(^|[\s,])(cgo|sqlite\w*|libsqlite3|gssapi|netcgo|osusergo_cgo|systemd|pcap|libpcap|gtk\w*|webkit\w*|pkcs11|libvirt|ceph|gpgme|seccomp|btrfs_cgo)(?=$|[\s,])/
/** Packages that bring a C compiler or C headers into a stage. */
const C_TOOLCHAIN = /\b(gcc|g\+\+|clang|build-base|musl-dev|libc6-dev|build-essential)\b/

export interface GoBuildLike {
  argv: string[]
  env: Record<string, string>
}

/** Whether a Go build needs cgo: CGO_ENABLED=1, external linking, cgo-only tags, or a C toolchain installed for it. */
export function needsCgo(builds: GoBuildLike[], stageSource: string): boolean {
  return (
    builds.some((b) => {
      if (b.env.CGO_ENABLED === '0') return false
      if (b.env.CGO_ENABLED === '1') return true
      const text = b.argv.join(' ')
      const tags = /-tags[= ](\S+)/.exec(text)?.[1] ?? ''
      return /-linkmode[= ]external/.test(text) || CGO_TAGS.test(tags.replace(/["']/g, ''))
    }) ||
    (builds.length > 0 && builds.every((b) => b.env.CGO_ENABLED !== '0') && C_TOOLCHAIN.test(stageSource))
  )
}

/** What to write instead, for a stage whose compile step runs on each target platform. */
export function crossCompileFix(options: { model: StageModel; decidedBy: StageModel; compile: ShellCommand; goBuilds: GoBuildLike[]; goArm: boolean }): string {
  const { model, decidedBy, compile, goBuilds, goArm } = options
  const from = `\`FROM --platform=$BUILDPLATFORM ${decidedBy.stage.baseImage}\``
  const args = `\`ARG TARGETOS TARGETARCH${goArm ? ' TARGETVARIANT' : ''}\``
  const arm = goArm ? ' GOARM=${TARGETVARIANT#v}' : ''
  const musl = imageLibc(model.stage.rootImage) === 'musl'
  if (goBuilds.length > 0) {
    if (needsCgo(goBuilds, model.source)) {
      return (
        `This build needs cgo, so keep CGO_ENABLED=1 and give it a C cross compiler: ${from} with ` +
        '`COPY --from=tonistiigi/xx / /`, then ' +
        (musl ? '`RUN xx-apk add --no-cache gcc musl-dev`' : '`RUN xx-apt-get install -y gcc libc6-dev`') +
        ` and \`RUN CGO_ENABLED=1 xx-go build …\` (xx sets GOOS, GOARCH and the C compiler for $TARGETPLATFORM).`
      )
    }
    return (
      `Compile on the builder's own platform and cross-compile: ${from}, then ${args} and ` +
      `\`RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH${arm} go build …\`.`
    )
  }
  if (programName(compile.argv) === 'cargo' || programName(compile.argv) === 'rustc') {
    return (
      `Compile on ${from} and cross-compile: \`rustup target add <triple>\` and \`cargo build --target <triple>\` for $TARGETARCH ` +
      '(or `cargo zigbuild`, or tonistiigi/xx with `xx-cargo build`), so that only the final stage runs per platform.'
    )
  }
  if (musl) {
    return (
      `Compile on ${from} with a cross toolchain for $TARGETARCH: tonistiigi/xx (\`COPY --from=tonistiigi/xx / /\`, ` +
      '`xx-apk add --no-cache gcc musl-dev`, then build with `xx-clang` or `CC=xx-clang`), so that only the final stage runs per platform.'
    )
  }
  return (
    `Compile on ${from} with a cross compiler for $TARGETARCH ` +
    '(e.g. gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf, or tonistiigi/xx with `xx-apt-get` and `xx-clang`), ' +
    'so that only the final stage runs per platform.'
  )
}
