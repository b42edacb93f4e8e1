import { readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PACKAGE_ROOT } from '../paths'
import {
  denormalizeState,
  eulerStep,
  expectedFromLogits,
  flowSigmas,
  frameMean,
  frameNoise,
  imagesToInput,
  latentToProgress,
  normalizeState,
  repeatPad,
  unpadState,
} from './flowMath'

const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'models', 'viva-reference', 'viva-model.json'), 'utf8')) as {
  scheduler: { shift: number; example_sigmas: Record<string, number[]> }
}

describe('flow-matching scheduler', () => {
  it('gives the sigmas the PyTorch exporter recorded for 1, 2 and 4 steps', () => {
    for (const [steps, sigmas] of Object.entries(manifest.scheduler.example_sigmas)) {
      const got = flowSigmas(Number(steps), manifest.scheduler.shift)
      expect(got).toHaveLength(sigmas.length)
      got.forEach((s, i) => expect(s).toBeCloseTo(sigmas[i] as number, 12))
    }
  })

  it('starts at 1, decreases strictly, stays in (0, 1]; shift 1 is the plain linspace', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.2, max: 20, noNaN: true }), (steps, shift) => {
        const s = flowSigmas(steps, shift)
        expect(s[0]).toBeCloseTo(1, 12)
        for (let i = 1; i < s.length; i++) expect(s[i]).toBeLessThan(s[i - 1] as number)
        expect(s[s.length - 1]).toBeGreaterThan(0)
      }),
    )
    expect(flowSigmas(4, 1)).toEqual([1, 0.75, 0.5, 0.25])
    expect(() => flowSigmas(0, 5)).toThrow(/positive integer/)
  })

  it('an Euler step over the whole schedule with a constant velocity lands on x − v', () => {
    const x = Float32Array.of(0.5, -1, 2)
    const v = Float32Array.of(9, 9, 1, -2, 0.5)
    const sig = flowSigmas(7, 5)
    for (let i = 0; i < sig.length; i++) eulerStep(x, v, 2, (sig[i + 1] ?? 0) - (sig[i] as number))
    expect(Array.from(x)).toEqual([-0.5, 1, 1.5].map((t) => expect.closeTo(t, 5)))
  })
})

describe('state injection and readout', () => {
  it('repeat-pads a state over a latent frame and un-pads it back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }), (D, n) => {
        const q = Float32Array.from({ length: D }, (_, j) => Math.fround(Math.sin(j * 1.7)))
        const frame = new Float32Array(n + 5)
        repeatPad(q, 0, D, frame, 5, n)
        const back = unpadState(frame, 5, n, D)
        for (let j = 0; j < Math.min(D, n); j++) expect(back[j]).toBeCloseTo(q[j] as number, 6)
        // Elements the frame never covered (D > n) come back as 0.
        for (let j = n; j < D; j++) expect(back[j]).toBe(0)
      }),
    )
  })

  it('un-padding averages the copies, the last partial copy counting only where it reaches', () => {
    // D = 3, n = 7: copies [1,2,3] [3,4,5] and a partial [10]: element 0 averages 1, 3, 10.
    const frame = Float32Array.of(1, 2, 3, 3, 4, 5, 10)
    expect(Array.from(unpadState(frame, 0, 7, 3))).toEqual([14 / 3, 3, 4].map(Math.fround))
  })

  it('normalizes with a clamp to the training range and denormalizes inside it exactly', () => {
    const min = [0, -2]
    const max = [10, 2]
    const n = normalizeState(Float32Array.of(5, 2, -4, 0, 20, -9), min, max, 1e-8)
    expect(Array.from(n)).toEqual([0, 1, -1, 0, 1, -1].map((v) => expect.closeTo(v, 6)))
    const d = denormalizeState(n.subarray(0, 2), min, max, 1e-8)
    expect(Array.from(d)).toEqual([expect.closeTo(5, 5), expect.closeTo(2, 5)])
  })

  it('maps the value frame mean to progress with a clamp', () => {
    expect(latentToProgress(-1)).toBe(0)
    expect(latentToProgress(1)).toBe(1)
    expect(latentToProgress(0)).toBe(0.5)
    expect(latentToProgress(3)).toBe(1)
    expect(latentToProgress(-7)).toBe(0)
    expect(frameMean(Float32Array.of(9, 1, 2, 3), 1, 3)).toBe(2)
  })

  it('expected value over bins is the bin centre for a one-hot softmax and 0.5 for uniform logits', () => {
    const logits = new Float32Array(11).fill(-1e4)
    logits[7] = 0
    expect(expectedFromLogits(logits, 0, 11)).toBeCloseTo(0.7, 9)
    expect(expectedFromLogits(new Float32Array(201), 0, 201)).toBeCloseTo(0.5, 9)
  })
})

describe('images and noise', () => {
  it('turns rgb24 HWC into normalized NCHW, swapping channels for BGR models', () => {
    const px = Uint8Array.of(0, 127, 255, 10, 20, 30) // one camera, 1×2 pixels
    const out = new Float32Array(6)
    imagesToInput(px, 0, 1, 1, 2, 1 / 127.5, -1, false, out, 0)
    expect(Array.from(out)).toEqual([-1, 10 / 127.5 - 1, 127 / 127.5 - 1, 20 / 127.5 - 1, 1, 30 / 127.5 - 1].map((v) => expect.closeTo(v, 6)))
    imagesToInput(px, 0, 1, 1, 2, 1, 0, true, out, 0)
    expect(Array.from(out)).toEqual([255, 30, 127, 20, 0, 10])
  })

  it('draws reproducible standard-normal noise that differs per seed, episode and frame', () => {
    const n = 20_000
    const a = new Float32Array(n)
    frameNoise(1, 2, 3, a, 0, n)
    const b = new Float32Array(n)
    frameNoise(1, 2, 3, b, 0, n)
    expect(b).toEqual(a)
    let mean = 0
    let sq = 0
    for (const v of a) {
      mean += v / n
      sq += (v * v) / n
    }
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(sq - 1)).toBeLessThan(0.05)
    for (const [s, e, f] of [[2, 2, 3], [1, 3, 3], [1, 2, 4]] as const) {
      const c = new Float32Array(8)
      frameNoise(s, e, f, c, 0, 8)
      expect(c).not.toEqual(a.subarray(0, 8))
    }
  })
})
