/**
 * Where the camera tiles go: every tile is exactly its video's aspect ratio (so the video fills it, no black bars),
 * all tiles of the same height, in as many rows as make them largest inside the space the views have. Pure: the
 * views measure their box and ask this.
 */

export interface TileBox {
  /** Width and height of the space for the tiles (px). */
  width: number
  height: number
  /** Space between tiles (px). */
  gap: number
  /** What a tile adds around its video: the caption above it and the border (px). */
  chromeWidth: number
  chromeHeight: number
}

export interface TileLayout {
  /** Camera indices per row, in order. */
  rows: number[][]
  /** Height of every video (px, whole); a video's width is its aspect × this. */
  videoHeight: number
}

/** A usable aspect ratio (width / height): `fallback` for an unknown or absurd size. */
export function aspectOf(width: number | null | undefined, height: number | null | undefined, fallback = 4 / 3): number {
  if (!width || !height || !Number.isFinite(width) || !Number.isFinite(height) || width <= 0 || height <= 0) return fallback
  const a = width / height
  return a > 0.1 && a < 10 ? a : fallback
}

/** `n` items in `rows` rows, as even as possible, the longer rows first (3 in 2 rows: 2 + 1). */
export function splitRows(n: number, rows: number): number[][] {
  const out: number[][] = []
  let at = 0
  for (let r = 0; r < rows; r++) {
    const count = Math.ceil((n - at) / (rows - r))
    out.push(Array.from({ length: count }, (_, i) => at + i))
    at += count
  }
  return out.filter((row) => row.length > 0)
}

export function tileLayout(aspects: readonly number[], box: TileBox): TileLayout {
  const n = aspects.length
  if (n === 0) return { rows: [], videoHeight: 0 }
  let best: TileLayout = { rows: [aspects.map((_, i) => i)], videoHeight: 0 }
  for (let r = 1; r <= n; r++) {
    const rows = splitRows(n, r)
    const byHeight = (box.height - (rows.length - 1) * box.gap) / rows.length - box.chromeHeight
    let h = byHeight
    for (const row of rows) {
      const sum = row.reduce((a, i) => a + (aspects[i] as number), 0)
      const free = box.width - (row.length - 1) * box.gap - row.length * box.chromeWidth
      h = Math.min(h, free / sum)
    }
    const videoHeight = Math.max(0, Math.floor(h))
    if (videoHeight > best.videoHeight) best = { rows, videoHeight }
  }
  return best
}

/** Height of the tiles' block: every row and the gaps between them. */
export function blockHeight(layout: TileLayout, box: Pick<TileBox, 'gap' | 'chromeHeight'>): number {
  const n = layout.rows.length
  return n === 0 ? 0 : n * (layout.videoHeight + box.chromeHeight) + (n - 1) * box.gap
}

export interface TileRect {
  left: number
  top: number
  /** The tile's outer size (video + chrome). */
  width: number
  height: number
}

/**
 * Where each tile of `layout` goes in the box: rows one under the other, each row centred, the block centred in
 * the box (the space left over, if any, is around the tiles, never inside them as bars).
 */
export function placeTiles(layout: TileLayout, aspects: readonly number[], box: TileBox): TileRect[] {
  const out: TileRect[] = new Array<TileRect>(aspects.length)
  const h = layout.videoHeight
  const rowHeight = h + box.chromeHeight
  let top = Math.max(0, Math.floor((box.height - blockHeight(layout, box)) / 2))
  for (const row of layout.rows) {
    const widths = row.map((i) => Math.floor((aspects[i] as number) * h) + box.chromeWidth)
    const rowWidth = widths.reduce((a, w) => a + w, 0) + (row.length - 1) * box.gap
    let left = Math.max(0, Math.floor((box.width - rowWidth) / 2))
    row.forEach((i, k) => {
      const width = widths[k] as number
      out[i] = { left, top, width, height: rowHeight }
      left += width + box.gap
    })
    top += rowHeight + box.gap
  }
  return out
}
