import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGE_ROOT } from '../paths'
import { drawSeed, EPISODE_NOISE_FRAME, frameNoise } from './flowMath'
import { loadModelPackage, type VivaFlowManifest } from './manifest'
import { VivaFlowRunner } from './runner'

// The manifest's scheduler.readout (issue 15 item 6): a single seeded draw by default, a deterministic zero-noise
// readout, or the average over several seeded draws.
const VIVA = path.join(PACKAGE_ROOT, 'models', 'viva-reference')

type Readout = NonNullable<VivaFlowManifest['scheduler']['readout']>

async function variant(dir: string, readout: Readout | null): Promise<VivaFlowRunner> {
  const file = path.join(dir, 'viva-model.json')
  const m = JSON.parse(await readFile(path.join(VIVA, 'viva-model.json'), 'utf8')) as { scheduler: Record<string, unknown> }
  if (readout) m.scheduler.readout = readout
  else delete m.scheduler.readout
  await writeFile(file, JSON.stringify(m))
  return VivaFlowRunner.open(await loadModelPackage(dir), { provider: 'cpu', threads: 1 })
}

describe('viva-flow value readout options', () => {
  let dir: string
  let features: Float32Array
  let state: Float32Array
  const count = 3
  const opts = { steps: 1, seed: 5, episode: 2, firstFrame: 40 }
  const targetsOf = async (runner: VivaFlowRunner, extra: Partial<{ seed: number; noise: Float32Array }> = {}): Promise<Float32Array> => {
    const out = new Float32Array(count * 2 * 1024)
    await runner.predict(features, state, count, 0, { ...opts, ...extra, targetsOut: out })
    return out
  }
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'viva-readout-'))
    await cp(VIVA, dir, { recursive: true })
    const plain = await variant(dir, null)
    // Deterministic pseudo-images and states: the readout arithmetic, not the picture, is under test.
    const pixels = Uint8Array.from({ length: count * 3 * 64 * 64 * 3 }, (_, i) => (i * 37 + (i >> 9)) % 256)
    features = await plain.features(pixels, count)
    state = Float32Array.from({ length: count * 14 }, (_, i) => Math.sin(i) * 0.5)
    await plain.release()
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it('zero-noise readout starts the target frames from zeros, whatever the run seed', async () => {
    const plain = await variant(dir, null)
    const fromZeros = await targetsOf(plain, { noise: new Float32Array(count * 2 * 1024) })
    const seeded = await targetsOf(plain)
    await plain.release()
    const zero = await variant(dir, { noise: 'zero' })
    const a = await targetsOf(zero)
    const b = await targetsOf(zero, { seed: 99 })
    await zero.release()
    expect(Array.from(a)).toEqual(Array.from(fromZeros))
    expect(Array.from(b)).toEqual(Array.from(a))
    expect(Array.from(a)).not.toEqual(Array.from(seeded))
  })

  it('an averaged readout is the mean of the single draws with the draw seeds, the first being the run seed', async () => {
    const plain = await variant(dir, null)
    const draws = [await targetsOf(plain, { seed: drawSeed(5, 0) }), await targetsOf(plain, { seed: drawSeed(5, 1) }), await targetsOf(plain, { seed: drawSeed(5, 2) })]
    await plain.release()
    expect(drawSeed(5, 0)).toBe(5)
    const averaged = await variant(dir, { noise: 'sample', samples: 3 })
    const got = await targetsOf(averaged)
    await averaged.release()
    let worst = 0
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - ((draws[0]![i] as number) + (draws[1]![i] as number) + (draws[2]![i] as number)) / 3))
    expect(worst).toBeLessThan(1e-5)
  })

  it('an episode-noise readout uses one draw for every frame of an episode, seeded by run and episode', async () => {
    const plain = await variant(dir, null)
    const frameNoiseTargets = await targetsOf(plain)
    await plain.release()
    const episodeNoise = await variant(dir, { noise: 'episode' })
    // Several episode draws are a valid readout too (only zero noise must be one sample).
    await (await variant(dir, { noise: 'episode', samples: 2 })).release()
    const a = await targetsOf(episodeNoise)
    // The same episode from another first frame (a resumed run) gets the same noise, so the same targets.
    const out = new Float32Array(count * 2 * 1024)
    await episodeNoise.predict(features, state, count, 0, { ...opts, firstFrame: 7, targetsOut: out })
    const otherEpisode = new Float32Array(count * 2 * 1024)
    await episodeNoise.predict(features, state, count, 0, { ...opts, episode: 3, targetsOut: otherEpisode })
    await episodeNoise.release()
    expect(Array.from(out)).toEqual(Array.from(a))
    expect(Array.from(otherEpisode)).not.toEqual(Array.from(a))
    expect(Array.from(a)).not.toEqual(Array.from(frameNoiseTargets))
    // Rows 0 and 1 differ in picture and state, not in noise: with explicit noise equal to row 0's for every row,
    // the plain sampler gives the same targets.
    const single = await variant(dir, null)
    const shared = new Float32Array(count * 2 * 1024)
    const noise = new Float32Array(2 * 1024)
    frameNoise(5, 2, EPISODE_NOISE_FRAME, noise, 0, 2 * 1024)
    for (let b = 0; b < count; b++) shared.set(noise, b * 2 * 1024)
    const explicit = await targetsOf(single, { noise: shared })
    await single.release()
    let worst = 0
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (explicit[i] as number)))
    expect(worst).toBeLessThan(1e-6)
  })

  it('an antithetic readout averages each seeded draw with its negation, the first being the single-draw noise', async () => {
    const plain = await variant(dir, null)
    const pairs: Float32Array[] = []
    for (const k of [0, 1]) {
      const noise = new Float32Array(count * 2 * 1024)
      for (let b = 0; b < count; b++) frameNoise(drawSeed(5, k), 2, 40 + b, noise, b * 2 * 1024, 2 * 1024)
      pairs.push(await targetsOf(plain, { noise }), await targetsOf(plain, { noise: noise.map((x) => -x) }))
    }
    const single = await targetsOf(plain)
    await plain.release()
    // The seeded single draw is the first of the pairs' noises.
    expect(Array.from(pairs[0]!)).toEqual(Array.from(single))
    const anti = await variant(dir, { noise: 'antithetic', samples: 4 })
    const got = await targetsOf(anti)
    await anti.release()
    let worst = 0
    let fromIndependent = 0
    const independent = await variant(dir, { noise: 'sample', samples: 4 })
    const indep = await targetsOf(independent)
    await independent.release()
    for (let i = 0; i < got.length; i++) {
      const mean = pairs.reduce((acc, t) => acc + (t[i] as number), 0) / 4
      worst = Math.max(worst, Math.abs((got[i] as number) - mean))
      fromIndependent = Math.max(fromIndependent, Math.abs((got[i] as number) - (indep[i] as number)))
    }
    expect(worst).toBeLessThan(1e-5)
    // Not the independent-draw average under another name.
    expect(fromIndependent).toBeGreaterThan(1e-3)
  })

  it('refuses an antithetic readout with an odd number of samples, naming the field', async () => {
    const file = path.join(dir, 'viva-model.json')
    const m = JSON.parse(await readFile(path.join(VIVA, 'viva-model.json'), 'utf8')) as { scheduler: Record<string, unknown> }
    m.scheduler.readout = { noise: 'antithetic', samples: 3 }
    await writeFile(file, JSON.stringify(m))
    await expect(loadModelPackage(dir)).rejects.toThrow(/scheduler\.readout: an antithetic readout averages pairs/)
  })

  it('refuses a zero-noise readout with several samples, naming the field', async () => {
    const file = path.join(dir, 'viva-model.json')
    const m = JSON.parse(await readFile(path.join(VIVA, 'viva-model.json'), 'utf8')) as { scheduler: Record<string, unknown> }
    m.scheduler.readout = { noise: 'zero', samples: 4 }
    await writeFile(file, JSON.stringify(m))
    await expect(loadModelPackage(dir)).rejects.toThrow(/scheduler\.readout: a zero-noise readout is deterministic/)
  })
})
