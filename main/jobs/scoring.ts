import { randomUUID } from 'node:crypto'
import { methodSchemas, type JobInfo, type ModelCheck } from '../../app/contract'
import type { ScoreParams } from '../../app/curves'
import { toWireError, VivaError } from '../../app/errors'
import { formatStateMap, isIdentityMap } from '../../app/modelMapping'
import { STANDARD_STATE_KEY } from '../datasets/lerobot/vectorFeatures'
import { refuseIncompatible } from '../inference/compatibility'
import { cameraSlotNames } from '../inference/manifest'
import type { PendingJob } from '../store/curveStore'
import { processAlive } from '../processes'
import { discardPrepared, prepareEpisode, Rate, scoreEpisode, type EpisodeScoring, type PreparedEpisode } from './episodeScoring'
import { FeatureCache } from './featureCache'
import type { Job, ScoreRequest, ScoringDeps } from './job'
import { checkScoring, prepareScoring, saveStateMap } from './scoringPlan'

export type { ScoreRequest, ScoringDeps }

/** Why a job must stop instead of skipping to its next episode: the model is broken or nothing can be stored. */
const JOB_FATAL = new Set(['MODEL_FAILED', 'MODEL_INVALID', 'DISK_FULL'])

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
  private readonly episodeScoring: EpisodeScoring

  constructor(private readonly deps: ScoringDeps) {
    this.featureBudget = deps.featureCacheBytes ?? 256 * 1024 * 1024
    this.features = new FeatureCache(this.featureBudget)
    this.episodeScoring = {
      deps,
      features: this.features,
      featureBudget: this.featureBudget,
      emit: (job, throttle) => this.emit(job, throttle),
      gate: (job) => this.gate(job),
    }
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
    const prepared = await prepareScoring(this.deps, request.datasetId, request.modelId, { cameras: request.cameras, stateMap: request.stateMap }, wanted[0])
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
    const slotNames = cameraSlotNames(pkg.manifest)
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

  /** What the Models panel shows before Start (scoringPlan.ts). */
  check(datasetId: string, modelId: string): Promise<ModelCheck> {
    return checkScoring(this.deps, datasetId, modelId)
  }

  /** Save or clear the state map, then check again (scoringPlan.ts). */
  setStateMap(datasetId: string, modelId: string, text: string | null): Promise<ModelCheck> {
    return saveStateMap(this.deps, datasetId, modelId, text)
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
    let next: Promise<PreparedEpisode> | null = null
    try {
      const pkg = await this.deps.models.get(request.modelId)
      const runner = await this.deps.models.runner(pkg, request.provider ?? 'auto', request.threads)
      info.provider = runner.provider
      this.emit(job)
      const prepare = (episode: number): Promise<PreparedEpisode> => {
        const p = prepareEpisode(this.episodeScoring, job, pkg, runner, episode)
        // Its error is that episode's, reported in its turn.
        p.catch(() => undefined)
        return p
      }
      const episodes = info.episodes
      for (const [k, episode] of episodes.entries()) {
        await this.gate(job)
        info.episode = episode
        this.emit(job)
        // Prepared during the previous episode, unless that one failed before it could start this one.
        const current = next ?? prepare(episode)
        next = null
        try {
          const prepared = await current
          // The next episode reads its rows and starts its decoders while this one is scored.
          const following = episodes[k + 1]
          if (following !== undefined) next = prepare(following)
          await scoreEpisode(this.episodeScoring, job, pkg, runner, prepared, rate)
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
      // A job that stopped early may have prepared its next episode: end that episode's decoders.
      if (next) await discardPrepared(next)
      this.forget(job)
      this.emit(job)
      job.settle()
    }
  }
}
