import { randomUUID } from 'node:crypto'
import { methodSchemas, type CameraMapping, type CompatIssue, type JobInfo, type ModelCheck, type ProviderRequest } from '../../app/contract'
import type { ScoreParams } from '../../app/curves'
import { toWireError, VivaError } from '../../app/errors'
import { applyStateMap, formatStateMap, isIdentityMap, parseStateMap, resolveCameraChoices, type StateMapEntry } from '../../app/modelMapping'
import type { EpisodeData, EpisodeSource } from '../datasets/episodeSource'
import { STANDARD_STATE_KEY } from '../datasets/lerobot/vectorFeatures'
import { checkCompatibility, refuseIncompatible, stateOutOfRange, suggestStateMap, type StateSample } from '../inference/compatibility'
import { STREAM_BACKLOG_BYTES, type EventBus } from '../events'
import type { ModelPackage } from '../inference/manifest'
import type { ModelRegistry } from '../inference/registry'
import type { Prediction, ValueRunner } from '../inference/runner'
import { modelCurveId, type CurveStore, type PendingJob } from '../store/curveStore'
import { decodeEpisode, type CameraSource } from '../video/frameDecoder'
import type { MediaTools } from '../video/tools'
import { FeatureCache } from './featureCache'
import { processAlive } from '../processes'

export interface ScoreRequest {
  datasetId: string
  modelId: string
  /** Empty = every present episode. */
  episodes: number[]
  steps?: number
  seed?: number
  batch?: number
  provider?: ProviderRequest
  threads?: number
  /** Model slot → dataset camera (key or short name) for this job, over the saved/guessed mapping. */
  cameras?: Record<string, string>
  /** State map for this job (app/modelMapping.ts grammar), over the saved one. */
  stateMap?: string
}

/** Where `prepare` takes a mapping from when the request does not give one. */
export interface MappingOverrides {
  cameras?: Record<string, string> | undefined
  stateMap?: string | undefined
  /** Flag names for messages (`--camera-map` from the CLI, `Camera map` from the app). */
  cameraFlag?: string
  stateFlag?: string
}

/** A model and a dataset as one job will pair them: the mapping, and what the check found. */
export interface Prepared {
  pkg: ModelPackage
  source: EpisodeSource
  cameras: CameraMapping
  /** Dataset camera per model slot, in slot order (empty string for none). */
  cameraKeys: string[]
  /** The state map in use (null: none), as typed and parsed. */
  stateMapText: string | null
  stateMap: StateMapEntry[] | null
  datasetStateDim: number
  issues: CompatIssue[]
}

export interface ScoringDeps {
  source: (datasetId: string) => EpisodeSource
  models: ModelRegistry
  store: CurveStore
  events: EventBus
  tools: MediaTools
  /**
   * Throws when a camera's video cannot be this episode's (a v3.0 window outside its file: DatasetService
   * checkVideoWindow), so the episode fails instead of being scored on another episode's frames.
   */
  checkVideo?: (datasetId: string, data: EpisodeData, camera: string, signal: AbortSignal) => Promise<void>
  /** Decode with `-hwaccel auto` (default true). */
  hwaccel?: boolean
  /** Frames per stored/pushed chunk and the longest a computed value waits before it is pushed. */
  chunkFrames?: number
  chunkMs?: number
  featureCacheBytes?: number
  /**
   * Keep unfinished jobs in the value cache so a restarted app resumes them (`restore`). The app does; one-shot
   * callers such as `viva score` do not (rerunning the command resumes from the stored chunks anyway).
   */
  journal?: boolean
}

/** Why a job must stop instead of skipping to its next episode: the model is broken or nothing can be stored. */
const JOB_FATAL = new Set(['MODEL_FAILED', 'MODEL_INVALID', 'DISK_FULL'])

/** Frames per model call; larger batches gained < 5 % on 2 cores and delay the first values of a curve. */
export const DEFAULT_BATCH = 8

interface Job {
  info: JobInfo
  request: ScoreRequest
  /** Dataset camera per model slot, the state feature and the state map, fixed when the job is accepted. */
  plan: { cameraKeys: string[]; stateKey: string | null; stateMap: StateMapEntry[] | null }
  abort: AbortController
  paused: boolean
  started: boolean
  resume: (() => void) | null
  done: Promise<void>
  settle: () => void
}

/** Rolling frames/s over the last few seconds, so the ETA follows the current speed. */
class Rate {
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

/**
 * The scoring job queue: one job runs at a time (the model saturates the GPU or the CPU); each job scores its
 * episodes in order, decoding, preprocessing and inference overlapping, storing chunks as they come and pushing
 * them to renderers. A job that is cancelled, crashes or is killed resumes from its stored chunks.
 */
export class ScoringQueue {
  private readonly jobs = new Map<string, Job>()
  private readonly order: string[] = []
  private running = false
  private shuttingDown = false
  private readonly features: FeatureCache
  /**
   * 256 MB holds the latents of a 10-minute 3-camera episode of the bundled ViVa (12 KB a frame), so rescoring it
   * with other steps skips decoding and encoding, while the app stays within its memory target (bench/largeData.ts).
   */
  private readonly featureBudget: number

  constructor(private readonly deps: ScoringDeps) {
    this.featureBudget = deps.featureCacheBytes ?? 256 * 1024 * 1024
    this.features = new FeatureCache(this.featureBudget)
  }

  list(): JobInfo[] {
    return this.order.map((id) => ({ ...(this.jobs.get(id) as Job).info }))
  }

  private job(jobId: string): Job {
    const j = this.jobs.get(jobId)
    if (!j) throw new VivaError('NOT_FOUND', `No scoring job ${jobId}`)
    return j
  }

  /** Validate and queue a job; returns at once. `resume` re-queues a journaled job under its id (see `restore`). */
  async start(request: ScoreRequest, resume?: { id: string; paused: boolean }): Promise<JobInfo> {
    // The contract's limits hold for every caller (the CLI calls this directly, not through dispatch).
    const checked = methodSchemas['score.start'].safeParse(request)
    if (!checked.success) {
      const issue = checked.error.issues[0]
      throw new VivaError('INVALID_ARGUMENT', `Invalid scoring request (${issue?.path.join('.') ?? ''}): ${issue?.message ?? 'invalid'}`)
    }
    const source = this.deps.source(request.datasetId)
    const pkg = await this.deps.models.get(request.modelId)
    const present = source.summary.episodes.filter((e) => e.present)
    const wanted = request.episodes.length === 0 ? present.map((e) => e.index) : request.episodes
    const byIndex = new Map(present.map((e) => [e.index, e]))
    const missing = wanted.filter((e) => !byIndex.has(e))
    if (missing.length > 0) throw new VivaError('NOT_FOUND', `${source.summary.name} has no episode ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`)
    if (wanted.length === 0) throw new VivaError('INVALID_ARGUMENT', `${source.summary.name} has no episode to score`)
    const steps = pkg.manifest.kind === 'viva-flow' ? (request.steps ?? pkg.manifest.scheduler.default_steps) : 0
    // Checked before anything is queued, on the episode scored first: a job that cannot work is refused with the
    // reason (never a "done" job of 0 frames).
    const prepared = await this.prepare(request.datasetId, request.modelId, { cameras: request.cameras, stateMap: request.stateMap }, wanted[0])
    refuseIncompatible(prepared.issues, pkg.manifest.name, source.summary.name)
    const stateMapKey = prepared.stateMap && !isIdentityMap(prepared.stateMap, prepared.datasetStateDim) ? formatStateMap(prepared.stateMap) : undefined
    const stateKey = source.summary.state?.key
    const params: ScoreParams = {
      steps,
      seed: request.seed ?? 0,
      cameras: prepared.cameraKeys,
      ...(stateMapKey !== undefined ? { stateMap: stateMapKey } : {}),
      ...(stateKey !== undefined && stateKey !== STANDARD_STATE_KEY ? { stateKey } : {}),
    }
    const slotNames = [...pkg.manifest.cameras].sort((a, b) => a.slot - b.slot).map((c) => c.name)
    // Journaled with the mapping it was accepted with, so a resumed job scores exactly as it began.
    const fixedRequest: ScoreRequest = {
      ...request,
      cameras: Object.fromEntries(slotNames.map((slot, i) => [slot, prepared.cameraKeys[i] ?? ''])),
      ...(prepared.stateMapText !== null ? { stateMap: prepared.stateMapText } : {}),
    }
    let settle = (): void => undefined
    const done = new Promise<void>((resolve) => (settle = resolve))
    const info: JobInfo = {
      id: resume?.id ?? randomUUID(),
      datasetId: request.datasetId,
      modelId: pkg.id,
      modelName: pkg.manifest.name,
      episodes: [...new Set(wanted)],
      steps,
      seed: request.seed ?? 0,
      state: resume?.paused ? 'paused' : 'queued',
      episode: null,
      episodesDone: 0,
      framesDone: 0,
      framesTotal: wanted.reduce((a, e) => a + (byIndex.get(e)?.length ?? 0), 0),
      framesResumed: 0,
      framesPerSecond: 0,
      etaSeconds: null,
      provider: null,
      error: null,
      episodeErrors: [],
      params,
      warnings: prepared.issues.filter((i) => i.level === 'warning').map((i) => i.message),
    }
    const plan = { cameraKeys: prepared.cameraKeys, stateKey: stateKey ?? null, stateMap: prepared.stateMap }
    const job: Job = { info, request: fixedRequest, plan, abort: new AbortController(), paused: resume?.paused ?? false, started: false, resume: null, done, settle }
    if (this.deps.journal && !resume) {
      this.deps.store.saveJob({ id: info.id, datasetRoot: source.summary.root, request: { ...fixedRequest, episodes: info.episodes }, paused: false })
    }
    this.jobs.set(info.id, job)
    if (!this.order.includes(info.id)) this.order.push(info.id)
    this.emit(job)
    void this.pump()
    return { ...info }
  }

  /**
   * Pair a model with a dataset as a job would: the camera mapping (saved or guessed, then `overrides.cameras`), the
   * state map (`overrides.stateMap`, else the one saved for the dataset and the model's state layout), and every
   * finding of the compatibility check, made on the state of `sampleEpisode` (default the first present one).
   * An override that does not parse throws INVALID_ARGUMENT; a saved map that no longer parses is an error finding.
   */
  async prepare(datasetId: string, modelId: string, overrides: MappingOverrides = {}, sampleEpisode?: number): Promise<Prepared> {
    const source = this.deps.source(datasetId)
    const pkg = await this.deps.models.get(modelId)
    const m = pkg.manifest
    const summary = source.summary
    const slots = [...m.cameras].sort((a, b) => a.slot - b.slot).map((c) => c.name)
    const cameras = await this.deps.models.cameraMap(datasetId, pkg, summary.cameras)
    if (overrides.cameras && Object.keys(overrides.cameras).length > 0) {
      const chosen = resolveCameraChoices(overrides.cameras, slots, summary.cameras.map((c) => c.key), overrides.cameraFlag ?? '--camera-map')
      for (const [slot, key] of Object.entries(chosen)) {
        cameras.slots[slot] = key
        cameras.how[slot] = 'saved'
      }
    }
    const episode = sampleEpisode ?? summary.episodes.find((e) => e.present)?.index
    let sample: EpisodeData | null = null
    if (episode !== undefined) sample = await source.loadEpisode(episode).catch(() => null)
    const names = sample?.state?.names ?? summary.state?.names ?? []
    const datasetStateDim = sample?.state?.dim ?? summary.state?.dim ?? 0

    const given = overrides.stateMap ?? null
    const saved = given === null ? await this.deps.models.stateMap(datasetId, pkg) : null
    const stateMapText = given ?? saved
    let stateMap: StateMapEntry[] | null = null
    const issues: CompatIssue[] = []
    if (stateMapText !== null) {
      try {
        stateMap = parseStateMap(stateMapText, names, given !== null ? (overrides.stateFlag ?? '--state-map') : 'the saved state map')
      } catch (err) {
        if (given !== null) throw err
        issues.push({ level: 'error', code: 'STATE_MAP', message: toWireError(err).message })
      }
    }
    let mapped: StateSample | null = null
    if (sample?.state) {
      const st = sample.state
      if (stateMap) mapped = { values: applyStateMap(st.values, sample.length, st.dim, stateMap, m.state.min, m.state.max), length: sample.length }
      else if (st.dim === m.state.dim) mapped = { values: st.values, length: sample.length }
    }
    issues.push(...checkCompatibility({ manifest: m, summary, cameras, stateMap: stateMapText !== null && stateMap === null ? [] : stateMap, datasetStateDim, sample: mapped }))
    // A saved map that no longer parses already says so; its "gives 0 values" echo would only confuse.
    const shown = stateMapText !== null && stateMap === null ? issues.filter((i) => !(i.code === 'STATE_MAP' && i.message.startsWith('the state map gives 0'))) : issues
    const cameraKeys = slots.map((s) => cameras.slots[s] ?? '')
    return { pkg, source, cameras, cameraKeys, stateMapText, stateMap, datasetStateDim, issues: shown }
  }

  /** What the Models panel shows before Start: the check of `prepare`, with the saved state map. */
  async check(datasetId: string, modelId: string): Promise<ModelCheck> {
    const p = await this.prepare(datasetId, modelId)
    const D = p.pkg.manifest.state.dim
    return {
      datasetId,
      modelId: p.pkg.id,
      issues: p.issues,
      ok: p.issues.every((i) => i.level !== 'error'),
      stateMap: p.stateMapText,
      datasetStateDim: p.datasetStateDim,
      modelStateDim: D,
      suggestedStateMap: p.stateMapText === null ? suggestStateMap(p.datasetStateDim, D) : null,
    }
  }

  /** Save (after checking that it parses against the dataset's joints) or clear the state map, then check again. */
  async setStateMap(datasetId: string, modelId: string, text: string | null): Promise<ModelCheck> {
    const source = this.deps.source(datasetId)
    const pkg = await this.deps.models.get(modelId)
    const trimmed = text?.trim() ?? ''
    if (trimmed !== '') {
      const sample = await this.sampleState(source)
      parseStateMap(trimmed, sample?.names ?? source.summary.state?.names ?? [], 'State map')
    }
    await this.deps.models.setStateMap(datasetId, pkg, trimmed === '' ? null : trimmed)
    return this.check(datasetId, modelId)
  }

  private async sampleState(source: EpisodeSource): Promise<EpisodeData['state']> {
    const first = source.summary.episodes.find((e) => e.present)?.index
    if (first === undefined) return null
    return (await source.loadEpisode(first).catch(() => null))?.state ?? null
  }

  pause(jobId: string, paused: boolean): JobInfo {
    const job = this.job(jobId)
    if (job.info.state === 'done' || job.info.state === 'cancelled' || job.info.state === 'failed') return { ...job.info }
    job.paused = paused
    if (this.deps.journal) this.deps.store.setJobPaused(jobId, paused)
    if (!job.started) job.info.state = paused ? 'paused' : 'queued'
    else job.info.state = paused ? 'paused' : 'running'
    if (!paused) {
      job.resume?.()
      job.resume = null
    }
    this.emit(job)
    if (!paused && !job.started) void this.pump()
    return { ...job.info }
  }

  cancel(jobId: string): JobInfo {
    const job = this.job(jobId)
    if (job.info.state === 'queued' || job.info.state === 'running' || job.info.state === 'paused') {
      job.abort.abort()
      job.paused = false
      job.resume?.()
      if (!job.started) {
        job.info.state = 'cancelled'
        this.forget(job)
        job.settle()
      }
      this.emit(job)
    }
    return { ...job.info }
  }

  /** Resolves when the job has ended (done, cancelled or failed). */
  async wait(jobId: string): Promise<JobInfo> {
    const job = this.job(jobId)
    await job.done
    return { ...job.info }
  }

  /**
   * Stop everything and wait for the running job to stop (app shutdown). Journaled jobs stay journaled: the next
   * start resumes them.
   */
  async dispose(): Promise<void> {
    this.shuttingDown = true
    for (const id of this.order) this.cancel(id)
    await Promise.all([...this.jobs.values()].map((j) => j.done))
  }

  /**
   * Resume the jobs a previous run of the app left unfinished (crash, kill -9, quit), opening their datasets again.
   * A job that cannot resume (dataset moved, model removed) is listed as failed with the reason, and dropped.
   */
  async restore(open: (root: string) => Promise<{ id: string }>): Promise<JobInfo[]> {
    if (!this.deps.journal) return []
    const out: JobInfo[] = []
    let orphans: PendingJob[]
    try {
      orphans = this.deps.store.claimOrphanJobs(processAlive)
    } catch {
      // The journal cannot be written (a full disk): the app starts anyway, and the next start tries again.
      return out
    }
    for (const pending of orphans) {
      const parsed = methodSchemas['score.start'].safeParse(pending.request)
      try {
        if (!parsed.success) throw new VivaError('INVALID_ARGUMENT', `the saved request is unreadable (${parsed.error.issues[0]?.message ?? 'invalid'})`)
        const summary = await open(pending.datasetRoot)
        out.push(await this.start({ ...parsed.data, datasetId: summary.id }, { id: pending.id, paused: pending.paused }))
      } catch (err) {
        const wire = toWireError(err)
        this.dropJournal(pending.id)
        const request = parsed.success ? parsed.data : { datasetId: '', modelId: '', episodes: [] }
        const info: JobInfo = {
          id: pending.id,
          datasetId: request.datasetId,
          modelId: request.modelId,
          modelName: request.modelId,
          episodes: request.episodes,
          steps: request.steps ?? 0,
          seed: request.seed ?? 0,
          state: 'failed',
          episode: null,
          episodesDone: 0,
          framesDone: 0,
          framesTotal: 0,
          framesResumed: 0,
          framesPerSecond: 0,
          etaSeconds: null,
          provider: null,
          error: { ...wire, message: `Could not resume the scoring job on ${pending.datasetRoot}: ${wire.message}` },
          episodeErrors: [],
          params: null,
          warnings: [],
        }
        const job: Job = { info, request, plan: { cameraKeys: [], stateKey: null, stateMap: null }, abort: new AbortController(), paused: false, started: true, resume: null, done: Promise.resolve(), settle: () => undefined }
        this.jobs.set(info.id, job)
        this.order.push(info.id)
        this.emit(job)
        out.push({ ...info })
      }
    }
    return out
  }

  /** The job has ended for good: a restart must not resume it. */
  private forget(job: Job): void {
    if (this.deps.journal && !this.shuttingDown) this.dropJournal(job.info.id)
  }

  private dropJournal(id: string): void {
    try {
      this.deps.store.removeJob(id)
    } catch {
      // A full disk cannot even delete the row; the next start resumes the job, finds it complete and ends it.
    }
  }

  private lastEmit = new Map<string, number>()
  private emit(job: Job, throttle = false): void {
    const now = performance.now()
    if (throttle && now - (this.lastEmit.get(job.info.id) ?? 0) < 250) return
    this.lastEmit.set(job.info.id, now)
    this.deps.events.emit('score.progress', { ...job.info })
  }

  private async pump(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (;;) {
        // A job paused before it started waits without holding up the ones queued after it.
        const next = this.order.map((id) => this.jobs.get(id) as Job).find((j) => !j.started && j.info.state === 'queued')
        if (!next) return
        await this.run(next)
      }
    } finally {
      this.running = false
    }
  }

  private async gate(job: Job): Promise<void> {
    while (job.paused && !job.abort.signal.aborted) {
      await new Promise<void>((resolve) => (job.resume = resolve))
    }
    if (job.abort.signal.aborted) throw new VivaError('CANCELLED', 'The scoring job was cancelled.')
  }

  private async run(job: Job): Promise<void> {
    const { info, request } = job
    job.started = true
    info.state = job.paused ? 'paused' : 'running'
    this.emit(job)
    const rate = new Rate()
    try {
      const pkg = await this.deps.models.get(request.modelId)
      const runner = await this.deps.models.runner(pkg, request.provider ?? 'auto', request.threads)
      info.provider = runner.provider
      this.emit(job)
      for (const episode of info.episodes) {
        await this.gate(job)
        info.episode = episode
        this.emit(job)
        try {
          await this.scoreEpisode(job, pkg, runner, episode, rate)
        } catch (err) {
          if (job.abort.signal.aborted) throw err
          const wire = toWireError(err)
          // A broken model or a full disk stops the job; a broken episode (corrupt video, missing camera) only skips it.
          if (JOB_FATAL.has(wire.code)) throw err
          info.episodeErrors.push({ episode, error: wire })
        }
        info.episodesDone++
        this.emit(job)
      }
      // Not a green "done" when nothing was scored: every episode failed, so the job did.
      const firstError = info.episodeErrors[0]
      if (firstError && info.episodeErrors.length === info.episodes.length) {
        const n = info.episodes.length
        throw new VivaError(firstError.error.code, `${n === 1 ? `episode ${firstError.episode} could not be scored` : `none of the ${n} episodes could be scored`}: ${firstError.error.message}`, firstError.error.file)
      }
      info.state = 'done'
      info.etaSeconds = 0
    } catch (err) {
      if (job.abort.signal.aborted) info.state = 'cancelled'
      else {
        info.state = 'failed'
        info.error = toWireError(err)
      }
    } finally {
      this.forget(job)
      this.emit(job)
      job.settle()
    }
  }

  private async scoreEpisode(job: Job, pkg: ModelPackage, runner: ValueRunner, episode: number, rate: Rate): Promise<void> {
    const { info, request } = job
    const m = pkg.manifest
    const source = this.deps.source(request.datasetId)
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
    const slots = [...m.cameras].sort((a, b) => a.slot - b.slot).map((c) => c.name)
    const cameraKeys = job.plan.cameraKeys
    const cameras: CameraSource[] = cameraKeys.map((key, i) => {
      const video = data.videos.find((v) => v.camera === key)
      if (!video) throw new VivaError('EPISODE_UNAVAILABLE', `episode ${episode} has no video for camera ${key} (model slot ${slots[i]})`)
      return { file: video.file, from: video.fromTimestamp }
    })
    for (const key of cameraKeys) await this.deps.checkVideo?.(request.datasetId, data, key, signal)
    const params: ScoreParams = info.params ?? { steps: info.steps, seed: info.seed, cameras: cameraKeys }
    // Out-of-distribution input goes with the curve: its values may mean nothing.
    const ood = stateOutOfRange(state, data.length, m.state.min, m.state.max, m.state.names, m.name)
    const warnings = ood === null ? [] : [ood]
    const length = data.length
    const curve = this.deps.store.ensure({
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
    if (curve.warnings.join('\n') !== warnings.join('\n')) this.deps.store.setWarnings(curve.id, warnings)
    // Declared and actual lengths can differ; the table is the truth.
    info.framesTotal += length - (source.summary.episodes.find((e) => e.index === episode)?.length ?? length)
    const start = curve.computed
    info.framesResumed += start
    info.framesDone += start
    if (start >= length) return
    this.deps.events.emit('curves.changed', { datasetId: request.datasetId, episode })

    const taskId = m.tasks[data.tasks[0] ?? ''] ?? 0
    const batch = request.batch ?? DEFAULT_BATCH
    // Only a job whose latents all fit is cached: a bigger one (a whole large dataset) would only churn the cache, and
    // hold its budget for the life of the app, while a rescore of it would miss anyway.
    const featureKey = runner.cacheableFeatures && info.framesTotal * runner.featureSize * 4 <= this.featureBudget
      ? `${m.kind === 'viva-flow' ? m.files.encoder.sha256 : pkg.id}|${request.datasetId}|${episode}|${cameraKeys.join(',')}`
      : null
    const cached = featureKey ? this.features.get(featureKey, length, runner.featureSize) : null

    // Chunk sink: store, then push, at most every chunkFrames frames or chunkMs milliseconds.
    const chunkFrames = this.deps.chunkFrames ?? 64
    const chunkMs = this.deps.chunkMs ?? 250
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
      this.deps.store.append(curve.id, at, values, future)
      // Counted once stored, not when predicted: a progress line (and a kill right after it) never claims frames
      // that a resumed run would have to compute again.
      info.framesDone += count
      info.etaSeconds = info.framesPerSecond > 0 ? (info.framesTotal - info.framesDone) / info.framesPerSecond : null
      this.emit(job, true)
      // Backpressure: let the renderers' queues drain before pushing more (bounded, see EventBus.drained).
      await this.deps.events.drained(STREAM_BACKLOG_BYTES / 2, 1000, signal)
      this.deps.events.emit('score.chunk', { jobId: info.id, datasetId: request.datasetId, episode, curveId: curve.id, start: at, values, future })
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
      ?? this.decodedFeatures(runner, cameras, pkg, length, start, batch, signal, featureKey)
    let predicting: Promise<void> = Promise.resolve()
    let finished = false
    try {
      for await (const b of frames) {
        await this.gate(job)
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
    this.deps.events.emit('curves.changed', { datasetId: request.datasetId, episode })
  }

  private async *decodedFeatures(
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
    const decoder = decodeEpisode(this.deps.tools, cameras, { width, height, count: length, start, batch, hwaccel: this.deps.hwaccel ?? true, scaleFlags: pkg.manifest.image.scale_filter, signal })
    for await (const b of decoder) {
      const features = await runner.features(b.pixels, b.count)
      if (featureKey) this.features.put(featureKey, length, runner.featureSize, b.first, b.count, features)
      yield { first: b.first, count: b.count, features }
    }
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
