import type { CurveConvention } from '../../../app/curves'
import { quoteValue } from '../../../app/text'
import { type CurveImportResult, type CurveImportTarget, EPISODE_COLUMNS, FLOAT32_MAX, type ImportedCurve, MAX_CURVE_NAME, MAX_WARNINGS, Source, describeRaw, formatRuns, plural } from './source'

// Building curves from (curve, episode, frame, value) rows

interface Slot {
  values: Float32Array
  /** Row + 1 that gave each frame (0: none yet), to name both rows of a duplicate. */
  rowOf: Int32Array
  /** Frames with a finite value. */
  filled: number
}

interface Series {
  name: string
  convention: CurveConvention
  nanIsMissing: boolean
  /** The column (or field) its values come from, for messages. */
  column: string
  firstRow: number
  slots: Map<number, Slot>
  nanFrames: number
  nanEpisodes: Set<number>
  lastEpisode: number
  lastSlot: Slot | null
}

interface DroppedFrames {
  rows: number
  minFrame: number
  maxFrame: number
  lastRow: number
}

/**
 * Collects rows into per-episode typed arrays. Rows are identified by a number only; `label` turns it into the
 * file's own words ("line 12", "row 11", "rows[11]") when a message needs it, so no per-row objects are made.
 */
export class CurveBuilder {
  private readonly lengths = new Map<number, number>()
  private readonly series: Series[] = []
  private readonly byName = new Map<string, number>()
  private readonly absent = new Map<number, { rows: number; lastRow: number }>()
  private readonly dropped = new Map<number, DroppedFrames>()
  private lastRowSeen = -1
  rows = 0

  constructor(
    private readonly src: Source,
    target: CurveImportTarget,
    private readonly label: (row: number) => string,
  ) {
    for (const e of target.episodes) this.lengths.set(e.index, e.length)
  }

  /** The series named `name`, made on first use; one name cannot carry two conventions. */
  seriesFor(name: string, convention: CurveConvention, nanIsMissing: boolean, column: string, row: number): number {
    const known = this.byName.get(name)
    if (known === undefined && name.length > MAX_CURVE_NAME) {
      throw this.src.invalid(`${this.label(row)}: curve name ${quoteValue(name)} is longer than ${MAX_CURVE_NAME} characters`)
    }
    if (known !== undefined) {
      const s = this.series[known] as Series
      if (s.convention !== convention) {
        throw this.src.invalid(
          `curve ${quoteValue(name)} has convention ${s.convention} at ${this.label(s.firstRow)} but ${convention} at ${this.label(row)}`,
        )
      }
      return known
    }
    this.series.push({
      name,
      convention,
      nanIsMissing,
      column,
      firstRow: row,
      slots: new Map(),
      nanFrames: 0,
      nanEpisodes: new Set(),
      lastEpisode: -1,
      lastSlot: null,
    })
    this.byName.set(name, this.series.length - 1)
    return this.series.length - 1
  }

  private index(value: number, what: 'episode' | 'frame', row: number): number {
    if (!Number.isInteger(value) || value < 0) {
      throw this.src.invalid(`${this.label(row)} has ${what} ${describeRaw(value)}; expected a whole number ≥ 0`)
    }
    return value
  }

  add(seriesIndex: number, episodeRaw: number, frameRaw: number, value: number, row: number): void {
    if (row !== this.lastRowSeen) {
      this.rows++
      this.lastRowSeen = row
    }
    const s = this.series[seriesIndex] as Series
    const episode = this.index(episodeRaw, 'episode', row)
    const frame = this.index(frameRaw, 'frame', row)
    const missing = Number.isNaN(value)
    if ((missing && !s.nanIsMissing) || value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) {
      throw this.src.invalid(
        `${this.label(row)} (episode ${episode}, frame ${frame}) has ${describeRaw(value)} in column ${s.column}; ` +
          'NaN and infinite values are not accepted (leave out the rows of frames without a value)',
      )
    }
    // Curves are float32: a larger finite value would silently become Infinity there.
    if (Math.abs(value) > FLOAT32_MAX) {
      throw this.src.invalid(
        `${this.label(row)} (episode ${episode}, frame ${frame}) has ${value} in column ${s.column}, beyond the float32 range of curves`,
      )
    }

    const length = this.lengths.get(episode)
    if (length === undefined) {
      const a = this.absent.get(episode)
      if (!a) this.absent.set(episode, { rows: 1, lastRow: row })
      else if (a.lastRow !== row) {
        a.rows++
        a.lastRow = row
      }
      return
    }
    if (frame >= length) {
      const d = this.dropped.get(episode)
      if (!d) this.dropped.set(episode, { rows: 1, minFrame: frame, maxFrame: frame, lastRow: row })
      else if (d.lastRow !== row) {
        d.rows++
        d.lastRow = row
        if (frame < d.minFrame) d.minFrame = frame
        if (frame > d.maxFrame) d.maxFrame = frame
      }
      return
    }

    let slot = s.lastEpisode === episode ? s.lastSlot : null
    if (!slot) {
      slot = s.slots.get(episode) ?? null
      if (!slot) {
        slot = { values: new Float32Array(length).fill(Number.NaN), rowOf: new Int32Array(length), filled: 0 }
        s.slots.set(episode, slot)
      }
      s.lastEpisode = episode
      s.lastSlot = slot
    }
    const previous = slot.rowOf[frame] as number
    if (previous !== 0) {
      const which = this.series.length > 1 ? ` of curve "${s.name}"` : ''
      throw this.src.invalid(
        `${this.label(previous - 1)} and ${this.label(row)} both give episode ${episode} frame ${frame}${which}; ` +
          'each frame may appear once',
      )
    }
    slot.rowOf[frame] = row + 1
    if (missing) {
      s.nanFrames++
      s.nanEpisodes.add(episode)
      return
    }
    slot.values[frame] = value
    slot.filled++
  }

  finish(): CurveImportResult {
    const warnings: string[] = []
    if (this.absent.size > 0) {
      const episodes = [...this.absent.keys()].sort((a, b) => a - b)
      const rows = [...this.absent.values()].reduce((n, a) => n + a.rows, 0)
      warnings.push(
        episodes.length === 1
          ? `episode ${episodes[0]} is not in the dataset; skipped its ${plural(rows, 'row')}`
          : `episodes ${formatRuns(episodes)} (${episodes.length}) are not in the dataset; skipped their ${plural(rows, 'row')}`,
      )
    }
    for (const [episode, d] of [...this.dropped].sort((a, b) => a[0] - b[0])) {
      const length = this.lengths.get(episode) ?? 0
      const frames = d.minFrame === d.maxFrame ? `frame ${d.minFrame}` : `frames ${d.minFrame}–${d.maxFrame}`
      warnings.push(
        `episode ${episode} has ${plural(length, 'frame')} in the dataset${length > 0 ? ` (0–${length - 1})` : ''}; ` +
          `dropped ${plural(d.rows, 'row')} for ${frames}`,
      )
    }

    const found: { episode: number; order: number; curve: ImportedCurve }[] = []
    this.series.forEach((s, order) => {
      if (s.nanFrames > 0) {
        warnings.push(
          `${s.column} has no value (NaN) for ${plural(s.nanFrames, 'frame')} in ${plural(s.nanEpisodes.size, 'episode')}; ` +
            'those frames are left empty',
        )
      }
      for (const [episode, slot] of s.slots) {
        if (slot.filled === 0) {
          warnings.push(`episode ${episode} has no value in ${s.column}; no curve made`)
          continue
        }
        found.push({ episode, order, curve: { episode, name: s.name, convention: s.convention, values: slot.values } })
      }
    })
    found.sort((a, b) => a.episode - b.episode || a.order - b.order)

    if (found.length === 0) {
      if (this.rows === 0) throw this.src.invalid('contains no values (no data rows)')
      const why = warnings.slice(0, 3).join('; ')
      throw this.src.invalid(`gives no value for any episode of the dataset (${why}${warnings.length > 3 ? '; …' : ''})`)
    }
    const shown = warnings.length > MAX_WARNINGS ? warnings.slice(0, MAX_WARNINGS) : warnings
    const out = shown.map((w) => `${this.src.shown}: ${w}`)
    if (warnings.length > MAX_WARNINGS) out.push(`${this.src.shown}: … and ${warnings.length - MAX_WARNINGS} more warnings`)
    return { curves: found.map((f) => f.curve), warnings: out }
  }
}

/**
 * The episode of a file without an episode column: the one its name gives ("episode_000012.parquet",
 * "ep12_viva.csv"), else the dataset's only episode. Anything else would be a guess.
 */
export function impliedEpisode(src: Source, target: CurveImportTarget): number {
  const numbers = new Set<number>()
  for (const m of src.stem.matchAll(/(?:^|[^a-z])(?:episode|ep)[_\-\s.]?(\d+)(?!\d)/gi)) numbers.add(Number(m[1]))
  if (numbers.size === 1) return [...numbers][0] as number
  if (numbers.size === 0 && target.episodes.length === 1) return (target.episodes[0] as { index: number }).index
  throw src.invalid(
    `has no episode column (expected ${EPISODE_COLUMNS.slice(0, 2).join(' or ')}) and neither its name ` +
      `(as in episode_000012.parquet) nor the dataset (${plural(target.episodes.length, 'episode')}) says which episode it holds`,
  )
}
