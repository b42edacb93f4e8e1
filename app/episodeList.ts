import { VivaError } from './errors'

/** "0,3-7,12" → [0, 3, 4, 5, 6, 7, 12] (sorted, unique); the syntax of the CLI's --episodes and the Models panel. */
export function parseEpisodeList(text: string, option = '--episodes'): number[] {
  const out = new Set<number>()
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part)
    if (!m) throw new VivaError('INVALID_ARGUMENT', `${option}: "${part}" is not an episode or a range like 3-7`)
    const a = Number(m[1])
    const b = m[2] === undefined ? a : Number(m[2])
    if (b < a) throw new VivaError('INVALID_ARGUMENT', `${option}: range ${part} runs backwards`)
    if (b - a > 1_000_000) throw new VivaError('INVALID_ARGUMENT', `${option}: range ${part} is too large`)
    for (let e = a; e <= b; e++) out.add(e)
  }
  if (out.size === 0) throw new VivaError('INVALID_ARGUMENT', `${option} is empty`)
  return [...out].sort((x, y) => x - y)
}
