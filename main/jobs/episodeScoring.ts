import type { ScoreParams } from '../../app/curves'
import { VivaError } from '../../app/errors'
import { applyStateMap } from '../../app/modelMapping'
import type { EpisodeData } from '../datasets/episodeSource'
import { STREAM_BACKLOG_BYTES } from '../events'
import { stateOutOfRange } from '../inference/compatibility'
import { cameraSlotNames, type ModelPackage } from '../inference/manifest'
import type { Prediction, ValueRunner } from '../inference/runner'
import { modelCurveId } from '../store/curveStore'
import { decodeEpisode, type CameraSource } from '../video/frameDecoder'
import type { FeatureCache } from './featureCache'
import type { Job, ScoringDeps } from './job'

/** Frames per model call; larger batches gained < 5 % on 2 cores and delay the first values of a curve. */
export const DEFAULT_BATCH = 8

/** Rolling frames/s over the last few seconds, so the ETA follows the current speed. */
export class Rate {
  private readonly marks: { t: number; frames: number }[] = []
  add(frames: number): void {
    const t = performance.now()
    this.marks.push({ t, frames })
    while (this.marks.length > 2 && t - (this.marks[0] as { t: number }).t > 5000) this.marks.shift()
  }
  perSecond(): number {
    if (this.marks.length < 2) return 0
    const first = this.marks[0] as { t: number; frames: number }
    const last = this.marks[this.marks.length - 1] as { t: number; frames: number }
    const frames = this.marks.slice(1).reduce((a, m) => a + m.frames, 0)
    return last.t > first.t ? (frames * 1000) / (last.t - first.t) : 0
  }
}


/** What scoring one episode uses of its queue. */
export interface EpisodeScoring {
  deps: ScoringDeps
  features: FeatureCache
  /** Bytes of latents the feature cache holds; a job whose latents do not all fit is not cached. */
  featureBudget: number
  emit(job: Job, throttle?: boolean): void
  /** Resolves when the job may go on (not paused); throws when it is cancelled. */
  gate(job: Job): Promise<void>
}

/**
 * One episode of a job: its state mapped for the model, its cameras' videos decoded (or latents from the cache),
 * predictions batched with decoding overlapping inference, values stored and pushed in chunks with backpressure.
 * Resumes from the frames already stored.
 */
export async function scoreEpisode(ctx: EpisodeScoring, job: Job, pkg: ModelPackage, runner: ValueRunner, episode: number, rate: Rate): Promise<void> {
  const { info, request } = job
  const m = pkg.manifest
  const source = ctx.deps.source(request.datasetId)
  const signal = job.abort.signal
  const { stateMap, stateKey } = job.plan
  // The state feature the job was accepted with, even if the user picks another one while it runs.
  const loaded = await source.loadEpisode(episode, signal, stateKey === null ? {} : { features: [stateKey] })
  const data: EpisodeData = { ...loaded, state: stateKey === null ? loaded.state : (loaded.features.find((f) => f.key === stateKey) ?? null) }
  const D = m.state.dim
  let state: Float32Array
  if (stateMap) {
    const needs = Math.max(-1, ...stateMap.map((e) => (e.kind === 'joint' ? e.index : -1)))
    const dim = data.state?.dim ?? 0
    if (needs >= 0 && (!data.state || needs >= dim)) {
      throw new VivaError('DATASET_INVALID', `episode ${episode}: the state map uses joint ${needs}, but this episode's state has ${dim} values`)
    }
    state = applyStateMap(data.state?.values ?? new Float32Array(0), data.length, dim, stateMap, m.state.min, m.state.max)
  } else {
    if (!data.state) throw new VivaError('DATASET_INVALID', `${source.summary.name} has no state vector; ${m.name} needs a ${D}-dimensional state`)
    if (data.state.dim !== D) {
      throw new VivaError('DATASET_INVALID', `episode ${episode}: state has ${data.state.dim} dimensions, ${m.name} expects ${D} (${m.state.names.slice(0, 4).join(', ')}…)`)
    }
    state = data.state.values
  }
  const slots = cameraSlotNames(m)
  const cameraKeys = job.plan.cameraKeys
  const cameras: CameraSource[] = cameraKeys.map((key, i) => {
    const video = data.videos.find((v) => v.camera === key)
    if (!video) throw new VivaError('EPISODE_UNAVAILABLE', `episode ${episode} has no video for camera ${key} (model slot ${slots[i]})`)
    return { file: video.file, from: video.fromTimestamp }
  })
  for (const key of cameraKeys) await ctx.deps.checkVideo?.(request.datasetId, data, key, signal)
  const params: ScoreParams = info.params ?? { steps: info.steps, seed: info.seed, cameras: cameraKeys }
  // Out-of-distribution input goes with the curve: its values may mean nothing.
  const ood = stateOutOfRange(state, data.length, m.state.min, m.state.max, m.state.names, m.name)
  const warnings = ood === null ? [] : [ood]
  const length = data.length
  const curve = ctx.deps.store.ensure({
    id: modelCurveId(pkg.id, request.datasetId, episode, params),
    datasetId: request.datasetId,
    episode,
    name: m.kind === 'viva-flow' ? `${m.name} · ${info.steps} step${info.steps === 1 ? '' : 's'}` : m.name,
    source: 'model',
    convention: 'progress',
    length,
    modelId: pkg.id,
    modelName: m.name,
    params,
    futureDim: m.kind === 'viva-flow' ? m.state.dim : 0,
    futureNames: m.kind === 'viva-flow' ? m.state.names : [],
    futureOffset: m.kind === 'viva-flow' ? m.K : 0,
    file: null,
    sourceId: null,
    fileHash: null,
    warnings,
  })
  if (curve.warnings.join('\n') !== warnings.join('\n')) ctx.deps.store.setWarnings(curve.id, warnings)
  // Declared and actual lengths can differ; the table is the truth.
  info.framesTotal += length - (source.summary.episodes.find((e) => e.index === episode)?.length ?? length)
  const start = curve.computed
  info.framesResumed += start
  info.framesDone += start
  if (start >= length) return
  ctx.deps.events.emit('curves.changed', { datasetId: request.datasetId, episode })

  const taskId = m.tasks[data.tasks[0] ?? ''] ?? 0
  const batch = request.batch ?? DEFAULT_BATCH
  // Only a job whose latents all fit is cached: a bigger one (a whole large dataset) would only churn the cache, and
  // hold its budget for the life of the app, while a rescore of it would miss anyway.
  const featureKey = runner.cacheableFeatures && info.framesTotal * runner.featureSize * 4 <= ctx.featureBudget
    ? `${m.kind === 'viva-flow' ? m.files.encoder.sha256 : pkg.id}|${request.datasetId}|${episode}|${cameraKeys.join(',')}`
    : null
  const cached = featureKey ? ctx.features.get(featureKey, length, runner.featureSize) : null

  // Chunk sink: store, then push, at most every chunkFrames frames or chunkMs milliseconds.
  const chunkFrames = ctx.deps.chunkFrames ?? 64
  const chunkMs = ctx.deps.chunkMs ?? 250
  let pendingStart = start
  let pendingValues: Float32Array[] = []
  let pendingFuture: Float32Array[] = []
  let pendingCount = 0
  let lastFlush = performance.now()
  const flush = async (): Promise<void> => {
    if (pendingCount === 0) return
    const values = concat(pendingValues, pendingCount)
    const future = curve.futureDim > 0 ? concat(pendingFuture, pendingCount * curve.futureDim) : null
    const at = pendingStart
    const count = pendingCount
    pendingStart += pendingCount
    pendingValues = []
    pendingFuture = []
    pendingCount = 0
    lastFlush = performance.now()
    ctx.deps.store.append(curve.id, at, values, future)
    // Counted once stored, not when predicted: a progress line (and a kill right after it) never claims frames
    // that a resumed run would have to compute again.
    info.framesDone += count
    info.etaSeconds = info.framesPerSecond > 0 ? (info.framesTotal - info.framesDone) / info.framesPerSecond : null
    ctx.emit(job, true)
    // Backpressure: let the renderers' queues drain before pushing more (bounded, see EventBus.drained).
    await ctx.deps.events.drained(STREAM_BACKLOG_BYTES / 2, 1000, signal)
    ctx.deps.events.emit('score.chunk', { jobId: info.id, datasetId: request.datasetId, episode, curveId: curve.id, start: at, values, future })
  }
  const accept = (count: number, p: Prediction): void => {
    pendingValues.push(p.values)
    if (p.future) pendingFuture.push(p.future)
    pendingCount += count
    rate.add(count)
    info.framesPerSecond = Math.round(rate.perSecond() * 10) / 10
  }
  const due = (): boolean => pendingCount >= chunkFrames || performance.now() - lastFlush >= chunkMs

  const frames = featureBatches(cached, start, length, batch, runner.featureSize)
    ?? decodedFeatures(ctx, runner, cameras, pkg, length, start, batch, signal, featureKey)
  let predicting: Promise<void> = Promise.resolve()
  let finished = false
  try {
    for await (const b of frames) {
      await ctx.gate(job)
      const batchState = state.subarray(b.first * D, (b.first + b.count) * D)
      await predicting
      // The next batch's decode and encode run while this prediction runs.
      predicting = runner
        .predict(b.features, batchState, b.count, taskId, { steps: info.steps, seed: info.seed, episode, firstFrame: b.first })
        .then((p) => accept(b.count, p))
      predicting.catch(() => undefined)
      if (due()) await flush()
    }
    await predicting
    finished = true
  } finally {
    // A batch still in flight (overlap mode, cancelled mid-batch) lands before the last flush, so what the job
    // reports done is exactly what is stored.
    await predicting.catch(() => undefined)
    // Another error is on its way out: it is the one to report; what was stored before stays.
    if (!finished) await flush().catch(() => undefined)
  }
  await flush()
  ctx.deps.events.emit('curves.changed', { datasetId: request.datasetId, episode })
}

async function* decodedFeatures(
  ctx: EpisodeScoring,
  runner: ValueRunner,
  cameras: CameraSource[],
  pkg: ModelPackage,
  length: number,
  start: number,
  batch: number,
  signal: AbortSignal,
  featureKey: string | null,
): AsyncGenerator<{ first: number; count: number; features: Float32Array }> {
  const { width, height } = pkg.manifest.image
  const decoder = decodeEpisode(ctx.deps.tools, cameras, { width, height, count: length, start, batch, hwaccel: ctx.deps.hwaccel ?? true, scaleFlags: pkg.manifest.image.scale_filter, signal })
  for await (const b of decoder) {
    const features = await runner.features(b.pixels, b.count)
    if (featureKey) ctx.features.put(featureKey, length, runner.featureSize, b.first, b.count, features)
    yield { first: b.first, count: b.count, features }
  }
}

function concat(parts: Float32Array[], total: number): Float32Array {
  if (parts.length === 1 && (parts[0] as Float32Array).length === total) return parts[0] as Float32Array
  const out = new Float32Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Batches straight from cached features when every needed frame is cached (a rescore with other steps or seed). */
function featureBatches(
  cached: { features: Float32Array; have: Uint8Array } | null,
  start: number,
  length: number,
  batch: number,
  size: number,
): AsyncGenerator<{ first: number; count: number; features: Float32Array }> | null {
  if (!cached) return null
  for (let f = start; f < length; f++) if (!cached.have[f]) return null
  return (async function* () {
    for (let first = start; first < length; first += batch) {
      const count = Math.min(batch, length - first)
      yield { first, count, features: cached.features.subarray(first * size, (first + count) * size) }
    }
  })()
}
