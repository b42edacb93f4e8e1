/**
 * Subtask segments to and from Label Studio's TimelineLabels (video frame classification).
 *
 * Format, from Label Studio's own documentation and code:
 * - HumanSignal/label-studio docs/source/tags/timelinelabels.md: a region's result is `{"value": {"ranges":
 *   [{"start": 3, "end": 5}], "timelinelabels": ["Moving"]}}`, one range per region, used with the `<Video>` tag;
 *   result entries also carry `id`, `type: "timelinelabels"`, `from_name` (the TimelineLabels tag's name) and
 *   `to_name` (the Video tag's name).
 * - Frame numbers are 1-based and inclusive: HumanSignal/label-studio-ml-backend
 *   label_studio_ml/examples/yolo/utils/converter.py, convert_timelinelabels_to_probs() reads frames
 *   `start - 1 .. end - 1` and convert_probs_to_timelinelabels() writes `start = i + 1`, `end` = the last frame's i + 1.
 * - docs/source/tags/video.md: `<Video frameRate>` (default 24, may be `$fps` from the task's data); frame numbers
 *   only mean the dataset's frames when it is the dataset's fps, so the exported config sets it from `data.fps`.
 * - Tasks are imported and exported as a JSON list of `{"data": {...}, "annotations": [{"result": [...]}]}`.
 *
 * Settled here: one task per episode, `data.episode_index` says which (a Label Studio export of other tasks has no
 * such key and is refused, naming the task); a region is one completed stage, ending at its milestone (segments.ts);
 * the range end gives the milestone back (frame end − 1), so export → import returns the same milestones. Errors
 * are not exported. A task with several submitted annotations is ambiguous and refused; cancelled annotations and
 * predictions are ignored, as are result entries of other types.
 */
import { z } from 'zod'
import { VivaError } from '../../app/errors'
import { milestoneSegments } from './segments'
import type { Segment } from './segments'
import type { ExportAnnotations, ExportEpisode } from './table'
import { placeEpisodes } from './table'

export interface LabelStudioRange {
  start: number
  end: number
}

export interface LabelStudioRegion {
  id: string
  type: 'timelinelabels'
  from_name: string
  to_name: string
  value: { ranges: LabelStudioRange[]; timelinelabels: string[] }
}

export interface LabelStudioTask {
  data: { video: string; fps: number; episode_index: number; task: string }
  annotations: { result: LabelStudioRegion[] }[]
}

export interface LabelStudioExportOptions {
  fps: number
  /** The video Label Studio plays for an episode (a URL it can reach, e.g. its local-files or cloud storage). */
  videoUrl: (episode: number) => string
  /** TimelineLabels tag name; default "videoLabels". */
  fromName?: string
  /** Video tag name; default "video". */
  toName?: string
}

export interface LabelStudioExport {
  tasks: LabelStudioTask[]
  /** The labeling configuration for the project: Video with frameRate="$fps" and one Label per stage. */
  config: string
}

function xmlAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Label Studio frames of a segment: 1-based, inclusive. */
export function toLabelStudioRange(segment: Pick<Segment, 'start' | 'end'>): LabelStudioRange {
  return { start: segment.start + 1, end: segment.end + 1 }
}

export function buildLabelStudioTasks(episodes: readonly ExportEpisode[], annotations: ExportAnnotations, options: LabelStudioExportOptions): LabelStudioExport {
  if (!(options.fps > 0)) throw new VivaError('INVALID_ARGUMENT', `fps must be a positive number, got ${options.fps}`)
  const fromName = options.fromName ?? 'videoLabels'
  const toName = options.toName ?? 'video'
  const labels = new Set<string>()
  const tasks = placeEpisodes(episodes).map((ep): LabelStudioTask => {
    for (const stage of annotations.milestones.get(ep.task) ?? []) labels.add(stage)
    const result = milestoneSegments(annotations, ep.index, ep.length, ep.task).map((s): LabelStudioRegion => {
      labels.add(s.label)
      return {
        id: `viva-${ep.index}-${s.end}-${s.start}`,
        type: 'timelinelabels',
        from_name: fromName,
        to_name: toName,
        value: { ranges: [toLabelStudioRange(s)], timelinelabels: [s.label] },
      }
    })
    return { data: { video: options.videoUrl(ep.index), fps: options.fps, episode_index: ep.index, task: ep.task }, annotations: [{ result }] }
  })
  const config = [
    '<View>',
    `  <Video name="${xmlAttr(toName)}" value="$video" frameRate="$fps" />`,
    `  <TimelineLabels name="${xmlAttr(fromName)}" toName="${xmlAttr(toName)}">`,
    ...[...labels].map((l) => `    <Label value="${xmlAttr(l)}" />`),
    '  </TimelineLabels>',
    '</View>',
  ].join('\n')
  return { tasks, config }
}

// ---------------------------------------------------------------------------------------------------------------
// Import

const frameNumber = z.number().int().min(1)
const timelineResult = z.object({
  id: z.string().optional(),
  type: z.literal('timelinelabels'),
  value: z.object({
    ranges: z.array(z.object({ start: frameNumber, end: frameNumber })).min(1),
    timelinelabels: z.array(z.string().min(1)).length(1, 'a region must have exactly one label'),
  }),
})
const taskSchema = z.object({
  id: z.union([z.number(), z.string()]).optional(),
  data: z.looseObject({
    episode_index: z
      .number({
        error: (issue) =>
          issue.input === undefined
            ? 'missing: each task names its episode in data.episode_index (as viva export --format label-studio writes it)'
            : 'must be an episode index (a whole number ≥ 0)',
      })
      .int('must be an episode index (a whole number ≥ 0)')
      .min(0, 'must be an episode index (a whole number ≥ 0)'),
  }),
  annotations: z
    .array(
      z.looseObject({
        was_cancelled: z.boolean().optional(),
        result: z.array(z.looseObject({ type: z.string() })),
      }),
    )
    .default([]),
})
const documentSchema = z.union([z.array(z.unknown()), z.looseObject({ data: z.unknown() }).transform((task) => [task])])

export interface ImportedMilestone {
  episode: number
  frame: number
  label: string
}

export interface LabelStudioImport {
  milestones: ImportedMilestone[]
  /** Result entries of other types (choices, rectangles…) that were skipped. */
  ignoredResults: number
  /** Tasks with no submitted annotation. */
  unannotatedTasks: number
  /** Episodes whose task has a submitted annotation (its milestones are the file's, even when it has none). */
  annotatedEpisodes: number[]
}

function importError(file: string, message: string): VivaError {
  return new VivaError('IMPORT_INVALID', `${file}: ${message}`, file)
}

function issueAt(prefix: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
  return `${prefix}${path}: ${issue.message}`
}

/**
 * Milestones from a Label Studio JSON export of TimelineLabels (see the header). `lengths` (episode → frames)
 * checks that every range lies within its episode; a bad file is refused whole, naming the task and the problem.
 */
export function parseLabelStudioTimeline(file: string, text: string, lengths: ReadonlyMap<number, number>): LabelStudioImport {
  let raw: unknown
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (e) {
    throw importError(file, `not JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  const document = documentSchema.safeParse(raw)
  if (!document.success) throw importError(file, 'expected a Label Studio JSON export: a list of tasks, each with "data" and "annotations"')
  const milestones: ImportedMilestone[] = []
  let ignoredResults = 0
  let unannotatedTasks = 0
  const annotatedEpisodes: number[] = []
  const seen = new Map<number, string>()
  document.data.forEach((item, i) => {
    const parsed = taskSchema.safeParse(item)
    const name = `task [${i}]`
    if (!parsed.success) throw importError(file, issueAt(name, parsed.error.issues[0] as z.core.$ZodIssue))
    const task = parsed.data
    const label = task.id === undefined ? name : `${name} (id ${String(task.id)})`
    const episode = task.data.episode_index
    const length = lengths.get(episode)
    if (length === undefined) throw importError(file, `${label}: episode ${episode} is not an episode of this dataset`)
    const other = seen.get(episode)
    if (other !== undefined) throw importError(file, `${label} and ${other} are both episode ${episode}; keep one`)
    seen.set(episode, label)
    const submitted = task.annotations.filter((a) => a.was_cancelled !== true)
    if (submitted.length === 0) {
      unannotatedTasks++
      return
    }
    if (submitted.length > 1) throw importError(file, `${label}: ${submitted.length} annotations; export one annotation per task (or remove the others)`)
    annotatedEpisodes.push(episode)
    ;(submitted[0] as { result: { type: string }[] }).result.forEach((entry, r) => {
      if (entry.type !== 'timelinelabels') {
        ignoredResults++
        return
      }
      const region = timelineResult.safeParse(entry)
      const where = `${label}.annotations.result[${r}]`
      if (!region.success) throw importError(file, issueAt(where, region.error.issues[0] as z.core.$ZodIssue))
      const stage = region.data.value.timelinelabels[0] as string
      for (const range of region.data.value.ranges) {
        if (range.end < range.start) throw importError(file, `${where}: the range ends (frame ${range.end}) before it starts (frame ${range.start})`)
        if (range.end > length) {
          throw importError(file, `${where}: the range ends at Label Studio frame ${range.end}, past episode ${episode}'s ${length} frames (is the Video frameRate the dataset's fps?)`)
        }
        milestones.push({ episode, frame: range.end - 1, label: stage })
      }
    })
  })
  milestones.sort((a, b) => a.episode - b.episode || a.frame - b.frame || a.label.localeCompare(b.label))
  return { milestones, ignoredResults, unannotatedTasks, annotatedEpisodes: annotatedEpisodes.sort((a, b) => a - b) }
}
