/**
 * Every finding code smokestack can report, in one table: where it comes from, its usual severity, a short
 * title and the help a reader needs to act on it. The Dockerfile advice, the image doctor, the size gates, the
 * summary, the terminal and the SARIF output all read this table; a finding with a code missing here does not
 * compile.
 */

export type FindingSource = 'dockerfile' | 'image' | 'start' | 'size'

export interface FindingCodeInfo {
  source: FindingSource
  /** Severity it is reported with unless a rule says otherwise. */
  severity: 'error' | 'warning' | 'notice'
  /** A few words, as a rule name. */
  title: string
  /** What it means and what to do, in a sentence or two. */
  help: string
}

export const FINDING_CODES = {
  'cgo-on-musl': {
    source: 'dockerfile',
    severity: 'warning',
    title: 'Go binary built with cgo for a musl image',
    help: 'A `go build` with cgo on links glibc dynamically; a final stage with musl (alpine) or nothing (scratch) lacks its loader, and the container fails with "no such file or directory". Build with `CGO_ENABLED=0`, link statically, or use a glibc base.'
  },
  'emulated-compile': {
    source: 'dockerfile',
    severity: 'warning',
    title: 'Compile step runs under emulation',
    help: 'A stage that compiles runs on the target platform, which this builder emulates with QEMU (5–20× slower). Build on `--platform=$BUILDPLATFORM` and cross-compile for `$TARGETOS/$TARGETARCH` (`CGO_ENABLED=0` for pure Go; for cgo, C or Rust, a cross toolchain such as tonistiigi/xx or `cargo build --target`).'
  },
  'buildplatform-without-targetarch': {
    source: 'dockerfile',
    severity: 'warning',
    title: 'Build-platform stage compiles for the build machine',
    help: 'A stage on `$BUILDPLATFORM` compiles without using `TARGETARCH`/`TARGETOS`, so every platform gets a binary for the build machine. Pass the target to the compiler (`GOARCH=$TARGETARCH`, a cross compiler). A host tool whose only users are other `$BUILDPLATFORM` stages is right as it is and not reported.'
  },
  'apk-cache': {
    source: 'dockerfile',
    severity: 'notice',
    title: 'apk package index left in the image',
    help: '`apk add` (or `xx-apk add`) without `--no-cache`, or `apk update`, leaves the package index in /var/cache/apk of the shipped stage. Use `apk add --no-cache`, or remove /var/cache/apk in the same RUN.'
  },
  'apt-cache': {
    source: 'dockerfile',
    severity: 'notice',
    title: 'apt package lists left in the image',
    help: '`apt-get install` leaves the package lists in /var/lib/apt/lists of the shipped stage (an install in a shell branch that cannot run is not counted). End the same RUN with `rm -rf /var/lib/apt/lists/*`, or use a cache mount.'
  },
  'toolchain-final-stage': {
    source: 'dockerfile',
    severity: 'warning',
    title: 'Build toolchain shipped in the final image',
    help: 'The target stage is a compiler image. Copy the built program into a small runtime stage (`FROM alpine`, `FROM scratch`, distroless) instead.'
  },
  'arch-pinned-by-arg': {
    source: 'dockerfile',
    severity: 'warning',
    title: 'Architecture fixed by a build argument',
    help: 'A FROM chooses its base image or `--platform` through an ARG whose value is one architecture (`ARG ARCH=amd64`), so a build for several platforms gives every platform that architecture. Use the automatic `TARGETARCH`/`TARGETPLATFORM` arguments, or build each platform separately.'
  },
  'suspect-reference': {
    source: 'dockerfile',
    severity: 'warning',
    title: 'Image reference damaged by substitution',
    help: 'After variable substitution the base image tag ends in, or doubles, a separator (`golang:1.21-`, `app:latest-`), as when a variable is empty. Give the ARG a default or pass it as a build-arg.'
  },
  'dockerfile-invalid': {
    source: 'dockerfile',
    severity: 'error',
    title: 'Dockerfile cannot be built',
    help: 'The Dockerfile has an error BuildKit would stop at (an instruction before FROM, a base image that is not a valid reference after substitution, a duplicate stage name…). The message names the line and the fix.'
  },
  'ignore-unknown-code': {
    source: 'dockerfile',
    severity: 'notice',
    title: 'Ignore comment names no advice code',
    help: 'A `# smokestack-ignore:` comment names a code the Dockerfile advice does not have (a typo?), so it silences nothing. Use one of the advice codes listed in the README.'
  },
  'arch-mismatch': {
    source: 'image',
    severity: 'error',
    title: 'Program built for another architecture',
    help: 'The program the image starts is built for another CPU than the image platform. It may start under QEMU on the build machine but fails on real hardware. Cross-compile for the target platform.'
  },
  'missing-loader': {
    source: 'image',
    severity: 'error',
    title: 'Dynamic loader missing',
    help: 'The program names a dynamic loader (its ELF interpreter) that is not in the image, so starting it fails with "no such file or directory". Link statically, or use a base image with that C library.'
  },
  'missing-library': {
    source: 'image',
    severity: 'error',
    title: 'Shared library missing',
    help: 'The program needs a shared library the loader cannot find in the image. Install or copy it into the final stage, or link statically.'
  },
  'entrypoint-missing': {
    source: 'image',
    severity: 'error',
    title: 'Program to start not found',
    help: 'The program ENTRYPOINT/CMD names is not in the image (or not on its PATH). Copy it in, or fix the path.'
  },
  'entrypoint-not-regular': {
    source: 'image',
    severity: 'error',
    title: 'Program to start is not a file',
    help: 'ENTRYPOINT/CMD names a directory or a special file. Name the program itself.'
  },
  'entrypoint-not-executable': {
    source: 'image',
    severity: 'error',
    title: 'Program to start is not executable',
    help: 'The file has no execute permission, so starting it fails with "permission denied". Use `COPY --chmod=755` or `RUN chmod +x`.'
  },
  'not-executable-format': {
    source: 'image',
    severity: 'error',
    title: 'Not a program the kernel can run',
    help: 'The file is neither an ELF binary nor a script with a `#!` line (or the ELF file is damaged), so starting it fails with "exec format error".'
  },
  'interpreter-missing': {
    source: 'image',
    severity: 'error',
    title: 'Script interpreter missing',
    help: "The interpreter named on the script's `#!` line is not in the image. Install it in the final stage, or change the `#!` line."
  },
  'shebang-crlf': {
    source: 'image',
    severity: 'error',
    title: 'Script with Windows line endings',
    help: 'The `#!` line ends in CR, so the kernel looks for an interpreter whose name ends in `\\r`. Convert the script to LF line endings.'
  },
  'no-entrypoint': {
    source: 'image',
    severity: 'error',
    title: 'Nothing to start',
    help: 'The image has neither ENTRYPOINT nor CMD. Add one to the final stage, or give `smoke-args`, or turn the start check off with `smoke: false` for an image that is only a data layer.'
  },
  'static-binary': {
    source: 'image',
    severity: 'notice',
    title: 'Static binary',
    help: 'The program is statically linked: it needs no loader or shared libraries from the image.'
  },
  'examine-incomplete': {
    source: 'image',
    severity: 'notice',
    title: 'Part of the image could not be examined',
    help: 'The image doctor could not read everything it wanted within its limits; the start check still decides.'
  },
  'image-unreadable': {
    source: 'image',
    severity: 'warning',
    title: 'Image filesystem unreadable',
    help: "The image's filesystem could not be examined; the start check still decides."
  },
  'network-disabled': {
    source: 'start',
    severity: 'warning',
    title: 'Network failure without a network',
    help: 'The program crashed with what looks like a network failure (a name lookup, an unreachable network, a refused connection), and the start check runs it with `--network none`. Give the check a network with `smoke-network: bridge`, or let the program start without one.'
  },
  unhealthy: {
    source: 'start',
    severity: 'error',
    title: 'Not healthy',
    help: "The image's HEALTHCHECK did not pass within `smoke-timeout`: the server is not ready (nothing listens on the port, the health endpoint fails, or the probe times out). The health log shows each probe's exit code and output."
  },
  'healthcheck-command-missing': {
    source: 'start',
    severity: 'error',
    title: 'HEALTHCHECK command missing',
    help: 'The HEALTHCHECK runs a command the image does not have (curl on alpine, for one), so it can never pass. Install it, or use a command the image has (busybox `wget`, or the program as its own health client).'
  },
  'no-healthcheck': {
    source: 'start',
    severity: 'error',
    title: 'No HEALTHCHECK',
    help: '`smoke-health: true` requires a HEALTHCHECK, and the image has none. Add one to the final stage, give `smoke-probe`, or use `smoke-health: auto`.'
  },
  'probe-failed': {
    source: 'start',
    severity: 'error',
    title: 'Probe failed',
    help: 'A `smoke-probe` did not pass within `smoke-timeout`: the HTTP answer was not 2xx/3xx, or nothing accepted the connection on that port inside the container.'
  },
  'no-readiness-check': {
    source: 'start',
    severity: 'notice',
    title: 'Server without a readiness check',
    help: 'The image EXPOSEs a port but has no HEALTHCHECK and no `smoke-probe` was given, so the start check can only see that it did not die. Add a HEALTHCHECK (or `smoke-probe: http://:PORT/PATH`) and the check passes as soon as the server answers.'
  },
  'size-budget': {
    source: 'size',
    severity: 'error',
    title: 'Image over its size budget',
    help: 'The image is larger than `max-size` allows on `size-metric`.'
  },
  'size-growth': {
    source: 'size',
    severity: 'error',
    title: 'Image grew more than allowed',
    help: 'The compressed size grew against `compare-to` by more than `max-growth`.'
  }
} as const satisfies Record<string, FindingCodeInfo>

export type FindingCode = keyof typeof FINDING_CODES

export function isFindingCode(code: string): code is FindingCode {
  return Object.hasOwn(FINDING_CODES, code)
}
