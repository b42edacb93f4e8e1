import { mkdir, readdir, rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { VivaError } from '../../app/errors'
import { resolveMediaTools } from '../video/tools'
import type { LeRobotWriteOptions, LeRobotWriteResult } from './lerobotWriter/options'
import { makePlan } from './lerobotWriter/plan'
import { type Vectors, writeV2Tables, writeV3Tables } from './lerobotWriter/tables'
import { encodeVideo, verifyVideos, videoJobs, withContentQuirks } from './lerobotWriter/video'

export { ALOHA_JOINTS, ALOHA_STATE_NAMES, EXTRA_VECTOR_KEYS, frameTimestamp } from './lerobotWriter/options'
export type { FramePaint, LeRobotFormat, LeRobotWriteOptions, LeRobotWriteResult, VideoCodec, WriterCamera, WriterQuirks, WrittenEpisode } from './lerobotWriter/options'
export { isPositiveInt } from './lerobotWriter/plan'

/**
 * Writes a LeRobot v2.0 / v2.1 / v3.0 dataset from callbacks: the caller says what each episode's state (and
 * action) is at every frame and paints every camera frame into planar yuv420p; this module lays out info.json,
 * the tables, stats and videos (one ffmpeg per camera for the whole dataset, split per episode for v2.x), then
 * checks the written videos with ffprobe. `quirks` reproduce irregularities met in real published datasets, for
 * reader tests.
 */

async function prepareOutput(out: string, invalid: (message: string) => VivaError): Promise<string> {
  const root = path.resolve(out)
  let entries: string[] = []
  try {
    entries = await readdir(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw invalid(`${root} is not a directory`)
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (entries.length > 0) throw invalid(`${root} is not empty`)
  await mkdir(root, { recursive: true })
  return root
}

/**
 * Write a complete LeRobot dataset to `options.out` and check the frame counts of the written videos with
 * ffprobe. On any failure, or cancellation, the output directory is removed again and a VivaError is thrown
 * (INVALID_ARGUMENT, TOOL_MISSING, MEDIA_FAILED or CANCELLED).
 */
export async function writeLeRobotDataset(options: LeRobotWriteOptions): Promise<LeRobotWriteResult> {
  const plan = makePlan(options)
  const cancelled = (): VivaError => new VivaError('CANCELLED', `${plan.caller} was cancelled.`)
  if (options.signal?.aborted) throw cancelled()
  const tools = options.tools ?? resolveMediaTools()
  const root = await prepareOutput(options.out, (m) => new VivaError('INVALID_ARGUMENT', `${plan.caller}: ${m}`))
  const abort = new AbortController()
  const onAbort = (): void => abort.abort()
  options.signal?.addEventListener('abort', onAbort)
  try {
    const vectors: Vectors = { state: options.state, ...(options.action ? { action: options.action } : {}) }
    if (plan.format === 'v3.0') await writeV3Tables(root, plan, vectors)
    else await writeV2Tables(root, plan, vectors)

    // One encoder per camera for the whole dataset, all at once: per-episode ffmpeg runs would dominate the
    // time of a 1,000-episode dataset.
    const jobs = videoJobs(root, plan)
    // The encoders run side by side, so share the cores out rather than let each spawn a thread per core: at
    // fixture sizes x264's frame threads cost more in syncing than they gain (up to 40% more CPU per frame).
    const threads = Math.max(1, Math.floor(availableParallelism() / jobs.length))
    let firstError: unknown = null
    await Promise.allSettled(
      jobs.map((job) =>
        encodeVideo(root, tools, plan, job, abort.signal, threads, withContentQuirks(plan, job.camera, options.painter(job.camera, job.cameraIndex))).catch(
          (err: unknown) => {
            // The first failure is the cause; the others are the encoders it made us stop.
            if (!abort.signal.aborted) firstError = err
            abort.abort()
          },
        ),
      ),
    )
    if (options.signal?.aborted) throw cancelled()
    if (firstError !== null) throw firstError
    await rm(path.join(root, '.segments'), { recursive: true, force: true })
    await verifyVideos(tools, jobs)
  } catch (err) {
    // The directory was empty or absent before; leaving half a dataset behind would only mislead.
    await rm(root, { recursive: true, force: true })
    throw err
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  return { root, episodes: plan.episodes.map((e) => ({ index: e.index, length: e.length, written: e.written })) }
}
