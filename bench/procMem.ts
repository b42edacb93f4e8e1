// Process memory from /proc (Linux) and the small statistics the large-data benchmark reports. The parsers and the
// statistics are pure (unit-tested in procMem.test.ts); the readers return null for a process that has gone, since
// Chromium starts and ends helper processes while it runs.
import { readdirSync, readFileSync } from 'node:fs'

const MB = 1024 * 1024

/** A "Name:   1234 kB" field of /proc/<pid>/status or smaps_rollup, in bytes; null when the field is absent. */
export function parseKbField(text: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)
  return m?.[1] === undefined ? null : Number(m[1]) * 1024
}

/**
 * Parent pid from /proc/<pid>/stat. The command name (field 2) sits in parentheses and may itself contain spaces
 * and ")", so the fields are counted from the last ")".
 */
export function parseStatPpid(text: string): number | null {
  const close = text.lastIndexOf(')')
  if (close < 0) return null
  const fields = text.slice(close + 1).trim().split(/\s+/)
  const ppid = Number(fields[1])
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : null
}

/** Every descendant of `root` (not root itself) in a pid → parent pid map. */
export function descendants(parents: ReadonlyMap<number, number>, root: number): number[] {
  const children = new Map<number, number[]>()
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid) ?? []
    list.push(pid)
    children.set(ppid, list)
  }
  const out: number[] = []
  const todo = [...(children.get(root) ?? [])]
  while (todo.length > 0) {
    const pid = todo.pop() as number
    out.push(pid)
    todo.push(...(children.get(pid) ?? []))
  }
  return out.sort((a, b) => a - b)
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/** pid → parent pid of every process visible now. */
export function readParents(): Map<number, number> {
  const out = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const ppid = parseStatPpid(readText(`/proc/${name}/stat`) ?? '')
    if (ppid !== null) out.set(Number(name), ppid)
  }
  return out
}

/**
 * What a Chromium process is, from its command line: the value of --type= (with the utility's sub-type), or
 * 'browser' for the main process, which has none. Chromium rewrites its process title, so /proc/<pid>/cmdline may
 * hold all arguments in one space-separated string instead of NUL-separated ones: both are accepted.
 */
export function chromiumProcessType(argv: readonly string[]): string {
  const line = argv.join(' ')
  const type = /(?:^|\s)--type=(\S+)/.exec(line)?.[1]
  if (!type) return 'browser'
  const sub = /(?:^|\s)--utility-sub-type=(\S+)/.exec(line)?.[1]
  return sub ? `${type}:${sub}` : type
}

export function argvOf(pid: number): string[] {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((a) => a !== '')
}

export interface ProcessMemory {
  /** Resident set size: counts shared pages (libraries, shared memory) in full in every process. */
  rss: number
  /** Proportional set size: shared pages split between the processes sharing them (null where unreadable). */
  pss: number | null
}

export function processMemory(pid: number): ProcessMemory | null {
  const status = readText(`/proc/${pid}/status`)
  const rss = status === null ? null : parseKbField(status, 'VmRSS')
  if (rss === null) return null
  const rollup = readText(`/proc/${pid}/smaps_rollup`)
  return { rss, pss: rollup === null ? null : parseKbField(rollup, 'Pss') }
}

/** Summed memory of a set of processes; processes that ended between listing and reading are skipped. */
export function treeMemory(pids: readonly number[]): ProcessMemory & { processes: number } {
  let rss = 0
  let pss = 0
  let processes = 0
  for (const pid of pids) {
    const m = processMemory(pid)
    if (!m) continue
    rss += m.rss
    pss += m.pss ?? m.rss
    processes++
  }
  return { rss, pss, processes }
}

export const toMB = (bytes: number): number => Math.round((bytes / MB) * 10) / 10

/** Peak and mean of a series, in MB (one decimal); nulls for an empty series. */
export function peakMean(bytes: readonly number[]): { peakMB: number | null; meanMB: number | null } {
  if (bytes.length === 0) return { peakMB: null, meanMB: null }
  return { peakMB: toMB(Math.max(...bytes)), meanMB: toMB(bytes.reduce((a, b) => a + b, 0) / bytes.length) }
}

/** Least-squares slope of y over x; 0 when x does not vary (fewer than two distinct x). */
export function linearSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  if (n < 2) return 0
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) {
    sx += xs[i] as number
    sy += ys[i] as number
  }
  const mx = sx / n
  const my = sy / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx
    num += dx * ((ys[i] as number) - my)
    den += dx * dx
  }
  return den === 0 ? 0 : num / den
}

export interface ProgressSample {
  /** Job progress in [0, 1] when the sample was taken. */
  progress: number
  bytes: number
}

/**
 * Median of the samples taken within ±halfWidth of a progress fraction (the last ones for 1). RSS of a Node process
 * swings by a few hundred MB between garbage collections, so one sample says little about what the process keeps.
 */
export function medianAround(samples: readonly ProgressSample[], fraction: number, halfWidth = 0.05): number | null {
  const near = samples.filter((s) => Math.abs(s.progress - fraction) <= halfWidth + 1e-9).map((s) => s.bytes)
  if (near.length === 0) return null
  const sorted = near.sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
