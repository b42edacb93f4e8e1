import type { ScoreParams } from '../../app/curves'
import { VivaError } from '../../app/errors'
import { applyStateMap } from '../../app/modelMapping'
import type { EpisodeData } from '../datasets/episodeSource'
import { STREAM_BACKLOG_BYTES } from '../events'
import { stateOutOfRange } from '../inference/compatibility'
import { cameraSlotNames, type ModelPackage } from '../inference/manifest'
import type { Prediction, ValueRunner } from '../inference/runner'
import { modelCurveId } from '../store/curveStore'
import { decodeEpisode, type CameraSource, type FrameBatch } from '../video/frameDecoder'
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

/** An episode made ready to score: everything that reads, none of what writes (the curve, the job's counts). */
export interface PreparedEpisode {
  episode: number
  data: EpisodeData
  /** State rows as the model takes them (frames × dim). */
  state: Float32Array
  params: ScoreParams
  curveId: string
  warnings: string[]
  /** Frames already stored when it was prepared: where its decoder starts. */
  start: number
  featureKey: string | null
  cached: { features: Float32Array; have: Uint8Array } | null
  /** Its cameras' decoder, already started (null when the cache has every frame or nothing is left to score). */
  decoder: Primed<FrameBatch> | null
  cameras: CameraSource[]
}

/**
 * Read what one episode needs and start decoding its videos, without writing anything: a job prepares the next
 * episode while it scores the current one, so the decoders' start-up (three ffmpeg processes seeking into shared
 * video files: ~0.2 s an episode, most of the time of a short one on a fast model) overlaps inference. The decoder
 * fills at most its read-ahead buffer and then waits; `discardPrepared` ends it when the episode is not scored.
 */
export async function prepareEpisode(ctx: EpisodeScoring, job: Job, pkg: ModelPackage, runner: ValueRunner, episode: number): Promise<PreparedEpisode> {
  const { info, request } = job
  const m = pkg.manifest
  const source = ctx.deps.source(request.datasetId)
  const signal = job.abort.signal
  signal.throwIfAborted()
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
  const curveId = modelCurveId(pkg.id, request.datasetId, episode, params)
  const start = ctx.deps.store.info(curveId)?.computed ?? 0
  // Only a job whose latents all fit is cached: a bigger one (a whole large dataset) would only churn the cache, and
  // hold its budget for the life of the app, while a rescore of it would miss anyway.
  const featureKey = runner.cacheableFeatures && info.framesTotal * runner.featureSize * 4 <= ctx.featureBudget
    ? `${m.kind === 'viva-flow' ? m.files.encoder.sha256 : pkg.id}|${request.datasetId}|${episode}|${cameraKeys.join(',')}`
    : null
  const cached = featureKey ? ctx.features.get(featureKey, data.length, runner.featureSize) : null
  const prepared: PreparedEpisode = { episode, data, state, params, curveId, warnings, start, featureKey, cached, decoder: null, cameras }
  if (start < data.length && !allCached(cached, start, data.length)) prepared.decoder = startDecoder(ctx, pkg, prepared, request.batch ?? DEFAULT_BATCH, signal)
  return prepared
}

/** End a prepared episode that will not be scored (the job stopped): its decoder's ffmpeg processes. */
export async function discardPrepared(prepared: Promise<PreparedEpisode>): Promise<void> {
  const p = await prepared.catch(() => null)
  await p?.decoder?.close()
}

function startDecoder(ctx: EpisodeScoring, pkg: ModelPackage, p: PreparedEpisode, batch: number, signal: AbortSignal): Primed<FrameBatch> {
  const { width, height } = pkg.manifest.image
  return prime(
    decodeEpisode(ctx.deps.tools, p.cameras, { width, height, count: p.data.length, start: p.start, batch, hwaccel: ctx.deps.hwaccel ?? true, scaleFlags: pkg.manifest.image.scale_filter, signal }),
  )
}

/**
 * One episode of a job: its curve created (or resumed from the frames already stored), its frames decoded (or
 * latents from the cache), predictions batched with decoding overlapping inference, values stored and pushed in
 * chunks with backpressure.
 */
export async function scoreEpisode(ctx: EpisodeScoring, job: Job, pkg: ModelPackage, runner: ValueRunner, prepared: PreparedEpisode, rate: Rate): Promise<void> {
  try {
    await scorePrepared(ctx, job, pkg, runner, prepared, rate)
  } finally {
    // Not read (all cached, already complete, started elsewhere, or an error first): its ffmpeg processes end here.
    await prepared.decoder?.close()
  }
}

async function scorePrepared(ctx: EpisodeScoring, job: Job, pkg: ModelPackage, runner: ValueRunner, prepared: PreparedEpisode, rate: Rate): Promise<void> {
  const { info, request } = job
  const m = pkg.manifest
  const source = ctx.deps.source(request.datasetId)
  const signal = job.abort.signal
  const { episode, data, state, params, warnings, featureKey, cached } = prepared
  const D = m.state.dim
  const length = data.length
  const curve = ctx.deps.store.ensure({
    id: prepared.curveId,
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

  // The prepared decoder starts where the curve stood then; another process may have stored more since.
  const decoder = (): Primed<FrameBatch> => (prepared.decoder && prepared.start === start ? prepared.decoder : startDecoder(ctx, pkg, { ...prepared, start }, batch, signal))
  const frames = featureBatches(cached, start, length, batch, runner.featureSize) ?? decodedFeatures(ctx, runner, decoder().batches, length, featureKey)
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
  decoder: AsyncGenerator<FrameBatch>,
  length: number,
  featureKey: string | null,
): AsyncGenerator<{ first: number; count: number; features: Float32Array }> {
  for await (const b of decoder) {
    const features = await runner.features(b.pixels, b.count)
    if (featureKey) ctx.features.put(featureKey, length, runner.featureSize, b.first, b.count, features)
    yield { first: b.first, count: b.count, features }
  }
}

/** A generator whose first item is already being produced, and how to end it if it is never read. */
export interface Primed<T> {
  batches: AsyncGenerator<T>
  close(): Promise<void>
}

/** Start `gen` now (its first `next`), for a reader that comes later; its error, if any, reaches that reader. */
export function prime<T>(gen: AsyncGenerator<T>): Primed<T> {
  const first = gen.next()
  first.catch(() => undefined)
  let read = false
  return {
    batches: (async function* () {
      read = true
      try {
        const r = await first
        if (r.done) return
        yield r.value
        yield* gen
      } finally {
        // A reader that stops after the first item (before the delegation) must end the generator too.
        await gen.return(undefined)
      }
    })(),
    async close() {
      // A reader that started owns the generator (its for-await ends it); otherwise end it here, once its pending
      // first step has settled (an async generator takes return() only between steps).
      if (read) return
      await first.catch(() => undefined)
      await gen.return(undefined)
    },
  }
}

function allCached(cached: { have: Uint8Array } | null, start: number, length: number): boolean {
  if (!cached) return false
  for (let f = start; f < length; f++) if (!cached.have[f]) return false
  return true
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
  if (!cached || !allCached(cached, start, length)) return null
  return (async function* () {
    for (let first = start; first < length; first += batch) {
      const count = Math.min(batch, length - first)
      yield { first, count, features: cached.features.subarray(first * size, (first + count) * size) }
    }
  })()
}
