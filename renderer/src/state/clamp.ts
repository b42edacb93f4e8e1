/** `x` within [lo, hi] (rounded when `integer`); `fallback` when it is missing or not a finite number. */
export function clampNumber(x: number | undefined, lo: number, hi: number, fallback: number, integer = false): number {
  if (x === undefined || !Number.isFinite(x)) return fallback
  const v = Math.min(hi, Math.max(lo, x))
  return integer ? Math.round(v) : v
}
