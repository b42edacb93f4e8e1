/**
 * Per-frame model features (camera latents of a viva-flow model) kept in memory by encoder hash, dataset, episode
 * and camera mapping: rescoring an episode with other steps or another seed skips decoding and encoding. Least
 * recently used episodes are dropped beyond the byte budget.
 */
interface Slot {
  features: Float32Array
  have: Uint8Array
}

export class FeatureCache {
  private readonly slots = new Map<string, Slot>()
  private bytes = 0

  constructor(private readonly budget: number) {}

  get(key: string, length: number, size: number): Slot | null {
    const s = this.slots.get(key)
    if (!s || s.features.length !== length * size) return null
    this.slots.delete(key)
    this.slots.set(key, s)
    return s
  }

  put(key: string, length: number, size: number, first: number, count: number, features: Float32Array): void {
    const need = length * size * 4
    if (need > this.budget) return
    let s = this.get(key, length, size)
    if (!s) {
      s = { features: new Float32Array(length * size), have: new Uint8Array(length) }
      this.slots.set(key, s)
      this.bytes += need
      for (const [k, v] of this.slots) {
        if (this.bytes <= this.budget) break
        if (k === key) continue
        this.slots.delete(k)
        this.bytes -= v.features.byteLength
      }
    }
    s.features.set(features.subarray(0, count * size), first * size)
    s.have.fill(1, first, first + count)
  }
}
