/**
 * The arithmetic of ViVa inference around the ONNX graphs (paper §3.2; the PyTorch originals are in
 * models/viva/viva/model.py, named in each comment). Pure functions over typed arrays, so they are unit-tested
 * against the reference vectors without a runtime.
 */

/** `inference_sigmas`: u = linspace(1, 0, steps + 1)[:-1], shifted by s' = shift·u / (1 + (shift − 1)·u). */
export function flowSigmas(steps: number, shift: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`)
  const out: number[] = []
  for (let i = 0; i < steps; i++) {
    const u = 1 - i / steps
    out.push((shift * u) / (1 + (shift - 1) * u))
  }
  return out
}

/** `euler_step` on the target frames only: x ← x + v·(s_next − s). */
export function eulerStep(x: Float32Array, velocity: Float32Array, velocityOffset: number, ds: number): void {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (velocity[velocityOffset + i] as number) * ds
}

/** `normalize_state`: clamp to the training range, then map to [−1, 1]. `state` holds rows of length D. */
export function normalizeState(state: Float32Array, min: readonly number[], max: readonly number[], eps: number): Float32Array {
  const D = min.length
  const out = new Float32Array(state.length)
  for (let i = 0; i < state.length; i++) {
    const j = i % D
    const lo = min[j] as number
    const hi = max[j] as number
    const s = Math.min(Math.max(state[i] as number, lo), hi)
    out[i] = ((s - lo) / (hi - lo + eps)) * 2 - 1
  }
  return out
}

/** `denormalize_state`. */
export function denormalizeState(x: Float32Array, min: readonly number[], max: readonly number[], eps: number): Float32Array {
  const D = min.length
  const out = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const j = i % D
    const lo = min[j] as number
    out[i] = (((x[i] as number) + 1) / 2) * ((max[j] as number) - lo + eps) + lo
  }
  return out
}

/** `pad_state` (repeat-padding): frame.flat[j] = q[j mod D] for the n = C·H·W elements of one latent frame. */
export function repeatPad(q: Float32Array, qOffset: number, D: number, out: Float32Array, outOffset: number, n: number): void {
  for (let j = 0; j < n; j++) out[outOffset + j] = q[qOffset + (j % D)] as number
}

/**
 * `unpad_state`: view the flattened frame as consecutive copies of length D and average them element-wise; the
 * last partial copy contributes to the elements it covers only.
 */
export function unpadState(frame: Float32Array, offset: number, n: number, D: number): Float32Array {
  const total = new Float64Array(D)
  const counts = new Float64Array(D)
  for (let j = 0; j < n; j++) {
    total[j % D] = (total[j % D] as number) + (frame[offset + j] as number)
    counts[j % D] = (counts[j % D] as number) + 1
  }
  const out = new Float32Array(D)
  for (let d = 0; d < D; d++) out[d] = (counts[d] as number) > 0 ? (total[d] as number) / (counts[d] as number) : 0
  return out
}

/** Mean of one latent frame (the value frame's readout before mapping). */
export function frameMean(frame: Float32Array, offset: number, n: number): number {
  let sum = 0
  for (let j = 0; j < n; j++) sum += frame[offset + j] as number
  return sum / n
}

/** `read_value` / `latent_to_progress`: value latent v ∈ [−1, 1] → progress clamp((v + 1)/2, 0, 1). */
export function latentToProgress(v: number): number {
  return Math.min(1, Math.max(0, (v + 1) / 2))
}

/**
 * uint8 HWC images (cameras × H × W × 3, as ffmpeg's rgb24 gives them) → float32 NCHW model input x·scale + offset.
 * `bgr` swaps the channel order for models trained on BGR.
 */
export function imagesToInput(
  pixels: Uint8Array,
  pixelOffset: number,
  count: number,
  height: number,
  width: number,
  scale: number,
  offset: number,
  bgr: boolean,
  out: Float32Array,
  outOffset: number,
): void {
  const plane = height * width
  for (let c = 0; c < count; c++) {
    const src = pixelOffset + c * plane * 3
    const dst = outOffset + c * plane * 3
    for (let p = 0; p < plane; p++) {
      const r = pixels[src + p * 3] as number
      const g = pixels[src + p * 3 + 1] as number
      const b = pixels[src + p * 3 + 2] as number
      out[dst + p] = (bgr ? b : r) * scale + offset
      out[dst + plane + p] = g * scale + offset
      out[dst + 2 * plane + p] = (bgr ? r : b) * scale + offset
    }
  }
}

/** Expected value over return bins: Σ softmax(logits)·centers, centers k/(bins − 1) in progress. */
export function expectedFromLogits(logits: Float32Array, offset: number, bins: number): number {
  let max = -Infinity
  for (let k = 0; k < bins; k++) max = Math.max(max, logits[offset + k] as number)
  let z = 0
  let acc = 0
  for (let k = 0; k < bins; k++) {
    const e = Math.exp((logits[offset + k] as number) - max)
    z += e
    acc += e * (k / (bins - 1))
  }
  return acc / z
}

/** Index of the first non-finite element, or −1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i
  return -1
}

/**
 * The run seed of noise draw `k` of an averaged readout: draw 0 is the run's own seed (so one draw is the plain
 * sampler), later draws get seeds spread by a golden-ratio step so no two draws of nearby run seeds coincide.
 */
export function drawSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed + Math.imul(k, 0x9e3779b1)) >>> 0
}

/** The frame argument of `frameNoise` for an episode's shared noise (readout `episode`): no real frame uses it. */
export const EPISODE_NOISE_FRAME = -1

/**
 * Seeded standard-normal noise for the target frames of one frame, so a run is reproducible and an interrupted run
 * resumes with the noise it would have drawn: xoshiro128** seeded by splitmix32 of (seed, episode, frame), then
 * Box–Muller.
 */
export function frameNoise(seed: number, episode: number, frame: number, out: Float32Array, offset: number, n: number): void {
  let h = (seed ^ Math.imul(episode + 1, 0x9e3779b1) ^ Math.imul(frame + 1, 0x85ebca6b)) >>> 0
  const next32 = (): number => {
    h = (h + 0x9e3779b9) >>> 0
    let z = h
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let s0 = next32()
  let s1 = next32()
  let s2 = next32()
  let s3 = next32()
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0
  const uniform = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0
    const t = (s1 << 9) >>> 0
    s2 = (s2 ^ s0) >>> 0
    s3 = (s3 ^ s1) >>> 0
    s1 = (s1 ^ s2) >>> 0
    s0 = (s0 ^ s3) >>> 0
    s2 = (s2 ^ t) >>> 0
    s3 = rotl(s3, 11)
    return (result + 0.5) / 4294967296
  }
  for (let j = 0; j < n; j += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()))
    const a = 2 * Math.PI * uniform()
    out[offset + j] = r * Math.cos(a)
    if (j + 1 < n) out[offset + j + 1] = r * Math.sin(a)
  }
}
