/** Colour on a terminal, and columns that line up whatever the colour codes. Pure. */

/** Colour only for a terminal, and never when NO_COLOR is set to anything non-empty. */
export function useColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && !env.NO_COLOR
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const
export type StyleName = keyof typeof CODES

/** Paints text, or returns it unchanged when colour is off. */
export type Paint = (style: StyleName, text: string) => string

export function painter(color: boolean): Paint {
  return (style, text) => (color ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text)
}

/** Length as shown: escape sequences take no room. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length
}

/** Lays out rows in columns two spaces apart; `right` marks the columns aligned right. */
export function layoutColumns(rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))))
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i] - visibleLength(cell))
        if (right.has(i)) return pad + cell
        return i === row.length - 1 ? cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  )
}
