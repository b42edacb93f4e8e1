import { VivaError } from '../../../app/errors'
import type { WriterQuirks } from '../../synth/lerobotWriter'
import { writePatternDataset } from '../../synth/patternDataset'
import { choiceOption, countOption, defineCommand } from '../command'

/** `--state-scale` of both dataset generators. */
export const stateScaleOption = { type: 'string', value: 'S', help: 'Multiply the state vectors by S (a non-zero number)' } as const

/** `--state-key`, `--action-key`, `--extra`, `--state-scale` of the dataset generators, as writer quirks. */
export function vectorQuirks(v: { 'state-key'?: string | undefined; 'action-key'?: string | undefined; extra?: string | undefined; 'state-scale'?: string | undefined }): WriterQuirks {
  const quirks: WriterQuirks = {}
  if (v['state-key'] !== undefined || v['action-key'] !== undefined) {
    quirks.vectorKeys = { ...(v['state-key'] !== undefined ? { state: v['state-key'] } : {}), ...(v['action-key'] !== undefined ? { action: v['action-key'] } : {}) }
  }
  if (v.extra !== undefined) {
    const kinds = v.extra.split(',').map((k) => k.trim()).filter((k) => k !== '')
    const bad = kinds.find((k) => k !== 'velocity' && k !== 'effort')
    if (bad !== undefined) throw new VivaError('INVALID_ARGUMENT', `--extra takes velocity and/or effort, got "${bad}"`)
    quirks.extraVectors = kinds as ('velocity' | 'effort')[]
  }
  if (v['state-scale'] !== undefined) {
    const scale = Number(v['state-scale'])
    if (!Number.isFinite(scale) || scale === 0) throw new VivaError('INVALID_ARGUMENT', `--state-scale must be a non-zero number, got "${v['state-scale']}"`)
    quirks.stateScale = scale
  }
  return quirks
}

export const fixtureCommand = defineCommand({
  name: 'fixture',
  synopsis:
    'fixture --out DIR [--format v2.1|v2.0|v3.0] [--episodes N] [--frames N] [--fps F] [--codec h264|av1|mpeg4] [--width W] [--height H]\n' +
    '        [--gop N] [--state-dim N] [--state-key KEY] [--action-key KEY] [--extra velocity,effort] [--state-scale S]',
  description: 'Write a test dataset whose frames show their own index',
  options: {
    out: { type: 'string', value: 'DIR', help: 'The dataset folder' },
    format: { type: 'string', value: 'F', help: 'v2.0, v2.1 or v3.0 (default v2.1)' },
    episodes: { type: 'string', value: 'N', help: 'Episodes (default 3)' },
    frames: { type: 'string', value: 'N', help: 'Frames per episode (default 90)' },
    fps: { type: 'string', value: 'F', help: 'Frames per second (default 30)' },
    codec: { type: 'string', value: 'C', help: 'h264, av1 or mpeg4 (default h264)' },
    width: { type: 'string', value: 'W', help: 'Video width (default 640)' },
    height: { type: 'string', value: 'H', help: 'Video height (default 480)' },
    gop: { type: 'string', value: 'N', help: 'Frames between key frames' },
    'state-dim': { type: 'string', value: 'N', help: 'State vector dimension' },
    'state-key': { type: 'string', value: 'KEY', help: 'Feature key of the state' },
    'action-key': { type: 'string', value: 'KEY', help: 'Feature key of the action' },
    extra: { type: 'string', value: 'LIST', help: 'Extra vectors: velocity and/or effort' },
    'state-scale': stateScaleOption,
  },
  async run(_args, values, ctx) {
    if (!values.out) throw new VivaError('INVALID_ARGUMENT', 'viva fixture needs --out DIR')
    const format = choiceOption(values.format, 'format', ['v2.0', 'v2.1', 'v3.0'], 'v2.1')
    const codec = choiceOption(values.codec, 'codec', ['h264', 'av1', 'mpeg4'], 'h264')
    const episodes = countOption(values.episodes, 'episodes') ?? 3
    const frames = countOption(values.frames, 'frames') ?? 90
    const stateDim = countOption(values['state-dim'], 'state-dim')
    const width = countOption(values.width, 'width') ?? 640
    const height = countOption(values.height, 'height') ?? 480
    const result = await writePatternDataset({
      out: await ctx.guardFor().check(values.out),
      format,
      codec,
      lengths: Array.from({ length: episodes }, () => frames),
      fps: countOption(values.fps, 'fps') ?? 30,
      ...(values.gop !== undefined ? { gop: countOption(values.gop, 'gop') } : {}),
      ...(stateDim !== undefined ? { stateDim } : {}),
      cameras: ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((c) => ({ key: `observation.images.${c}`, width, height })),
      quirks: vectorQuirks(values),
    })
    process.stdout.write(`Wrote ${result.format} dataset with ${result.episodes.length} episodes to ${result.root}\n`)
    return 0
  },
})
