/**
 * What each step of a platform produced, as immutable records. The pipeline never marks a platform failed
 * here and there: its status is derived from these outcomes by one function (status.ts).
 */
import type { Finding, SmokeResult } from '../types.js'
import type { LayerOrigin } from '../size/measure.js'
import type { PlatformDelta } from '../size/baseline.js'
import type { CacheHit } from '../cache/index.js'

export interface BuildOutcome {
  readonly ok: boolean
  readonly durationMs: number
  /** Reference the platform's image is loaded under; with `--platform` it names this platform's image. */
  readonly ref: string
  /** The engine's image ID (for a multi-platform image: the index). */
  readonly imageId?: string
  /** Digest of the image's config, when known from the build: the same in the engine and in the registry. */
  readonly configDigest?: string
  /** The builder's own line saying what failed. */
  readonly error?: string
  /** Last lines of the build log, for a failure. */
  readonly logTail?: string
  /** Built in one solve together with the other platforms. */
  readonly shared: boolean
  /** The build's metadata as buildx writes it (`--metadata-file`). */
  readonly metadata?: Readonly<Record<string, unknown>>
}

/** The user's own test (`test-command`) of one platform's image. */
export interface TestOutcome {
  readonly exitCode: number
  readonly durationMs: number
  readonly timedOut: boolean
  /** Last lines of what it printed. */
  readonly outputTail?: string
}

export interface CheckOutcome {
  /** What the image doctor found before the start. */
  readonly findings: readonly Finding[]
  /** How the start check ended; absent when it is turned off. */
  readonly start?: SmokeResult
  readonly durationMs: number
  /** Why the check could not run (the engine failed, not the image). */
  readonly error?: string
}

export interface SizeOutcome {
  readonly size?: number
  readonly compressedSize?: number
  readonly layers?: number
  readonly largestLayers: readonly LayerOrigin[]
  /** Config digest and manifest digest of the platform's image, when the measurement read them. */
  readonly configDigest?: string
  readonly durationMs: number
  /** Why the image could not be measured. */
  readonly error?: string
  /** The size budget's verdict (`size-budget`), when over it. */
  readonly overBudget?: Finding
}

/** Everything that happened to one platform. */
export interface PlatformOutcome {
  readonly platform: string
  readonly build: BuildOutcome
  readonly check?: CheckOutcome
  readonly size?: SizeOutcome
  /** The test command, when given and the platform had passed its checks. */
  readonly test?: TestOutcome
  /** Growth over `max-growth` against the baseline (`size-growth`). */
  readonly growth?: Finding
}

export interface BaselineOutcome {
  readonly ref: string
  readonly available: boolean
  /** Why the baseline could not be read. */
  readonly reason?: string
  readonly deltas: readonly PlatformDelta[]
  /** `max-growth` was set but could not be applied (no baseline). */
  readonly growthGateSkipped: boolean
}

export interface PublishOutcome {
  readonly ok: boolean
  /** Digest of the manifest list, when every tag got it. */
  readonly digest?: string
  /** Platform → digest of its manifest in the registry. */
  readonly platformDigests: Readonly<Record<string, string>>
  /** Platform → bytes a pull downloads, exact from the registry. */
  readonly compressedSizes: Readonly<Record<string, number>>
  /** Tags that hold the new manifest list now. */
  readonly published: readonly string[]
  /** Tags put back as they were after a failure. */
  readonly restored: readonly string[]
  /** Pushed by digest alone to this repository (`push: by-digest`): no list, no tag. */
  readonly byDigest?: string
  /** Why publishing failed. */
  readonly error?: string
}

/** What a whole run produced: the platforms in the order asked for, and what applies to all of them. */
export interface PipelineResult {
  readonly platforms: readonly PlatformOutcome[]
  /** The Dockerfile advice, file paths relative to the workspace. */
  readonly advice: readonly Finding[]
  readonly baseline?: BaselineOutcome
  readonly cacheHit?: CacheHit
  /** Undefined when push is off. */
  readonly publish?: PublishOutcome
  /** Publishing was asked for but not attempted, and why. */
  readonly publishSkipped?: string
  /** Lines for the summary's foot (what was not done, and why). */
  readonly notes: readonly string[]
  /** With `load`: the tags the tested image was left under in the engine. */
  readonly loaded?: readonly string[]
}
