import type { DatasetWarning } from '../../app/dataset'
import { compactRanges } from './lerobot/lerobot'
import type { InspectReport } from './inspect'

// `viva inspect`'s text report: the dataset, its cameras and files, and its problems grouped by what to do.

function size(w: number | null, h: number | null): string {
  return w !== null && h !== null ? `${w}x${h}` : '?x?'
}

function num(n: number): string {
  return n.toLocaleString('en-US')
}

/** Warnings of one code read as one line, with the episodes they concern, so 1,000 identical ones stay readable. */
function groupWarnings(warnings: readonly DatasetWarning[]): string[] {
  const groups = new Map<string, DatasetWarning[]>()
  for (const w of warnings) {
    const key = `${w.level}\0${w.code}`
    const list = groups.get(key)
    if (list) list.push(w)
    else groups.set(key, [w])
  }
  const rank = { error: 0, warning: 1, info: 2 } as const
  return [...groups.values()]
    .sort((a, b) => rank[a[0]?.level ?? 'info'] - rank[b[0]?.level ?? 'info'])
    .flatMap((list) => {
      const first = list[0]
      if (!first) return []
      if (list.length === 1) return [`${first.level.padEnd(7)} ${first.code}: ${first.message}`]
      const episodes = [...new Set(list.flatMap((w) => (w.episode === undefined ? [] : [w.episode])))].sort((a, b) => a - b)
      const where = episodes.length > 0 ? ` in episodes ${compactRanges(episodes, 6)}` : ''
      return [`${first.level.padEnd(7)} ${first.code} x${list.length}${where}, e.g. ${first.message}`]
    })
}

/** Human-readable listing of an InspectReport for a terminal. */
export function formatInspectReport(report: InspectReport): string {
  const lines: string[] = []
  const field = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(9)} ${value}`)
  }
  lines.push(`${report.name}  (${report.root})`)
  const declared = report.declaredVersion === null ? 'no codebase_version' : `codebase_version "${report.declaredVersion}"`
  field('format', `LeRobot ${report.format} (${declared})`)
  field('fps', String(report.fps))
  field('robot', report.robotType ?? '(not given)')
  const missing = report.episodes.missing
  field(
    'episodes',
    `${num(report.episodes.listed)} listed, ${num(report.episodes.present)} present` +
      (missing.length > 0 ? `; missing: ${compactRanges(missing)}` : ''),
  )
  if (report.frames) {
    const f = report.frames
    field('frames', `${num(f.total)} total; per episode min ${num(f.min)}, median ${num(f.median)}, max ${num(f.max)}`)
  } else {
    field('frames', 'none (no episode present)')
  }
  if (report.state) {
    const shown = report.state.names.slice(0, 8).join(', ')
    const more = report.state.names.length > 8 ? `, ... (+${report.state.names.length - 8})` : ''
    field('state', `${report.state.key}, ${report.state.dim} dims: ${shown}${more}`)
    if (report.stateChoice.by === 'name') lines.push(`            (${report.stateChoice.reason})`)
  } else {
    field('state', `(none: ${report.stateChoice.reason})`)
  }
  if (report.features.length > 0) field('features', report.features.map((f) => `${f.key} [${f.dim}]`).join(', '))
  const w = report.videoWindows
  if (w.convention !== null) {
    const total = w.exclusive + w.inclusive + w.other
    const how =
      w.convention === 'inclusive'
        ? `to_timestamp inclusive (last frame's time) in ${w.inclusive} of ${total}; read as ending one frame later`
        : `to_timestamp exclusive (one frame past the last, LeRobot's convention) in ${w.exclusive} of ${total}`
    field('windows', `${how}${w.other > 0 ? `; ${w.other} fit neither` : ''}`)
  }
  field('tasks', String(report.tasks.length))
  for (const t of report.tasks.slice(0, 10)) lines.push(`    - ${t}`)
  if (report.tasks.length > 10) lines.push(`    ... and ${report.tasks.length - 10} more`)

  field('cameras', String(report.cameras.length))
  for (const c of report.cameras) {
    const d = c.declared
    const decl = `declared ${d.codec ?? '?'} ${size(d.width, d.height)}${d.fps === null ? '' : ` @${d.fps}`}`
    let real: string
    if (c.dtype === 'image') real = 'images stored in the tables'
    else if (!c.onDisk) real = 'NO FILES ON DISK'
    else if (c.probed) {
      const p = c.probed
      real = `file ${p.codec} ${size(p.width, p.height)}${p.frames > 0 ? `, ${num(p.frames)} frames` : ''} (${p.file})`
    } else real = 'not probed'
    lines.push(`    ${c.key}  [${c.dtype}]  ${decl}  |  ${real}`)
  }

  const counts = { error: 0, warning: 0, info: 0 }
  for (const w of report.warnings) counts[w.level]++
  field('problems', `${counts.error} errors, ${counts.warning} warnings, ${counts.info} notes`)
  for (const line of groupWarnings(report.warnings)) lines.push(`    ${line}`)
  const broken = report.episodeProblems
  if (broken.length > 0) {
    field('by episode', `${num(broken.length)} of ${num(report.episodes.listed)} episodes have problems`)
    const shown = 12
    for (const p of broken.slice(0, shown)) {
      const tally = [p.errors > 0 ? `${p.errors} error${p.errors === 1 ? '' : 's'}` : '', p.warnings > 0 ? `${p.warnings} warning${p.warnings === 1 ? '' : 's'}` : '']
        .filter(Boolean)
        .join(', ')
      lines.push(`    episode ${p.episode}: ${tally} (${p.codes.join(', ')})`)
    }
    if (broken.length > shown) lines.push(`    ... and ${num(broken.length - shown)} more episodes`)
  }
  return lines.join('\n')
}
