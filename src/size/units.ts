/**
 * Sizes as people write them (`20MB`, `19.5MiB`, `5%`) and as people read them (`5.1 MB`, `+3.1 MB (+12.4%)`).
 * SI prefixes (k, M, G, T) are 1000-based and IEC prefixes (Ki, Mi, Gi, Ti) are 1024-based, exactly as written.
 */

const UNIT_FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40
}

const SIZE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmgt]i?)b?|b)?$/i

const ACCEPTED_SIZES = 'use bytes or a number with a unit: kB, MB, GB (1000-based) or KiB, MiB, GiB (1024-based), e.g. 20MB'

/** Bytes in a size such as `20MB`, `19.5MiB`, `1.5 GiB`, `500kB` or plain `1048576`; throws naming the input otherwise. */
export function parseSize(input: string, inputName: string): number {
  const bytes = tryParseSize(input)
  if (bytes === undefined) throw new Error(`Input "${inputName}": "${input}" is not a size; ${ACCEPTED_SIZES}`)
  return bytes
}

/** Bytes in a size, or `undefined` when the text is not one. Fractions of a byte round to the nearest byte. */
function tryParseSize(input: string): number | undefined {
  const match = SIZE_PATTERN.exec(input.trim())
  if (!match) return undefined
  const [, amount, prefix = ''] = match
  const bytes = Math.round(Number(amount) * UNIT_FACTORS[prefix.toLowerCase()])
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** An allowed growth: an absolute size or a percentage of the baseline. */
export type Growth = { bytes: number } | { percent: number }

/** A growth such as `5%`, `0.5%` or `2MB`; throws naming the input otherwise. */
export function parseGrowth(input: string, inputName: string): Growth {
  const text = input.trim()
  const percent = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(text)
  if (percent) return { percent: Number(percent[1]) }
  const bytes = tryParseSize(text)
  if (bytes === undefined) {
    throw new Error(`Input "${inputName}": "${input}" is not a growth; use a percentage such as 5% or a size (${ACCEPTED_SIZES})`)
  }
  return { bytes }
}

const SI_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']

/** A byte count in SI units with three significant digits at most: `0 B`, `812 kB`, `5.1 MB`, `23.4 MB`, `1.2 GB`. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : ''
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 999.5 && unit < SI_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  if (unit === 0) return `${sign}${Math.round(value)} B`
  // One decimal below 100 (5.1 MB, 23.4 MB), none above (812 kB); trailing `.0` dropped.
  const rounded = value < 99.95 ? Number(value.toFixed(1)) : Math.round(value)
  return `${sign}${rounded} ${SI_UNITS[unit]}`
}

/** A change in size with its sign and percentage: `+3.1 MB (+12.4%)`, `−512 kB (−2.0%)`, `±0 B`. */
export function formatDelta(bytes: number, percent?: number): string {
  if (bytes === 0) return '±0 B'
  const sign = bytes > 0 ? '+' : '−'
  const amount = `${sign}${formatBytes(Math.abs(bytes))}`
  if (percent === undefined || !Number.isFinite(percent)) return amount
  return `${amount} (${sign}${Math.abs(percent).toFixed(1)}%)`
}
