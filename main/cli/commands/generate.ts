import { VivaError } from '../../../app/errors'
import { generateTaskDataset } from '../../synth/taskDataset'
import { choiceOption, countOption, defineCommand } from '../command'
import { stateScaleOption, vectorQuirks } from './fixture'

export const generateCommand = defineCommand({
  name: 'generate',
  synopsis:
    'generate --out DIR --episodes N --seed S [--format v2.1|v3.0] [--failure-rate P] [--fps F] [--width W --height H]\n' +
    '         [--codec h264|av1] [--state-scale S]',
  description: 'Simulate a bimanual task (3 cameras) with exact ground-truth annotations',
  options: {
    out: { type: 'string', value: 'DIR', help: 'The dataset folder' },
    episodes: { type: 'string', value: 'N', help: 'Episodes (default 10)' },
    seed: { type: 'string', value: 'S', help: 'Random seed (default 0)' },
    format: { type: 'string', value: 'F', help: 'v2.1 or v3.0 (default v2.1)' },
    'failure-rate': { type: 'string', value: 'P', help: 'Share of failed episodes' },
    fps: { type: 'string', value: 'F', help: 'Frames per second' },
    width: { type: 'string', value: 'W', help: 'Video width' },
    height: { type: 'string', value: 'H', help: 'Video height' },
    codec: { type: 'string', value: 'C', help: 'h264 or av1 (default h264)' },
    'state-scale': stateScaleOption,
  },
  async run(_args, values, ctx) {
    if (!values.out) throw new VivaError('INVALID_ARGUMENT', 'viva generate needs --out DIR')
    const format = choiceOption(values.format, 'format', ['v2.1', 'v3.0'], 'v2.1')
    const codec = choiceOption(values.codec, 'codec', ['h264', 'av1'], 'h264')
    const failureRate = values['failure-rate'] === undefined ? undefined : Number(values['failure-rate'])
    const started = Date.now()
    const result = await generateTaskDataset({
      out: await ctx.guardFor().check(values.out),
      episodes: countOption(values.episodes, 'episodes') ?? 10,
      seed: countOption(values.seed, 'seed') ?? 0,
      format,
      codec,
      ...(failureRate !== undefined ? { failureRate } : {}),
      ...(values.fps !== undefined ? { fps: countOption(values.fps, 'fps') } : {}),
      ...(values.width !== undefined ? { width: countOption(values.width, 'width') } : {}),
      ...(values.height !== undefined ? { height: countOption(values.height, 'height') } : {}),
      quirks: vectorQuirks({ 'state-scale': values['state-scale'] }),
    })
    const failures = result.episodes.filter((e) => e.outcome === 'failure').length
    const frames = result.episodes.reduce((sum, e) => sum + e.length, 0)
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    process.stdout.write(
      `Wrote ${result.episodes.length} episodes (${failures} failures, ${frames} frames) to ${result.root} in ${seconds} s; ground truth: ${result.groundTruthFile}\n`,
    )
    return 0
  },
})
