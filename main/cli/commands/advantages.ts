import path from 'node:path'
import { advantageIndicators, THRESHOLD_SCOPES, thresholdKey } from '../../../app/advantages'
import { methodSchemas } from '../../../app/contract'
import { toDisplay } from '../../../app/curves'
import { VivaError } from '../../../app/errors'
import { advantageSettings, analysisInput, pooledAdvantages } from '../../analysis/compute'
import { readAnnotations, readCurves } from '../../analysis/fileInput'
import { readDatasetSummary } from '../../compose'
import { boundsHelp, choiceOption, describeBounds, defineCommand, intOption, numberBounds } from '../command'
import { annotationsOption, valuesOption } from '../analysisOptions'
import { formatCsv } from '../../formats/csv'
import { encodeParquet } from '../../formats/parquetWrite'

const schema = methodSchemas['advantages.compute'].shape

export const advantagesCommand = defineCommand({
  name: 'advantages',
  synopsis: 'advantages <dataset> --values FILE|DIR --annotations FILE.json --out FILE.parquet|.csv [--k K] [--positive-fraction 0.3] [--scope task|dataset]',
  description:
    'RECAP K-step advantages; the top 30 % of each (series, task) labelled "advantage positive" (A >= the 70th\n' +
    "percentile, as RLinf's RECAP)",
  options: {
    values: valuesOption,
    annotations: annotationsOption,
    out: { type: 'string', value: 'FILE', help: 'A .parquet or .csv file: one row per frame' },
    k: { type: 'string', value: 'K', help: boundsHelp('Steps ahead (default 50 at 30 fps, scaled with the fps)', schema.k) },
    'positive-fraction': { type: 'string', value: 'F', help: boundsHelp('Share of frames labelled positive (default 0.3)', schema.positiveFraction) },
    scope: { type: 'string', value: 'S', help: 'task or dataset: the frames one threshold is taken over (default task)' },
    /** Replaced by positive-fraction; still parsed so that using it gets a clear message. */
    percentile: { type: 'string', hidden: true, help: '' },
  },
  async run([root], v, ctx) {
    const usage = 'usage: viva advantages <dataset> --values FILE|DIR --annotations FILE.json --out FILE.parquet|.csv [--k K] [--positive-fraction 0.3] [--scope task|dataset]'
    if (!root || !v.values || !v.out || !v.annotations) throw new VivaError('INVALID_ARGUMENT', usage)
    const guard = ctx.guardFor(root).with([{ path: root, kind: 'dataset' }])
    const out = await guard.check(v.out)
    const ext = path.extname(out).toLowerCase()
    if (ext !== '.parquet' && ext !== '.csv') throw new VivaError('INVALID_ARGUMENT', `--out must end in .parquet or .csv, got ${v.out}`)
    if (v.percentile !== undefined) {
      throw new VivaError('INVALID_ARGUMENT', '--percentile was replaced by --positive-fraction: the share of frames labelled positive, the highest advantages (RECAP: 0.3, the top 30 %)')
    }
    const fraction = v['positive-fraction'] === undefined ? undefined : Number(v['positive-fraction'])
    if (fraction !== undefined && !schema.positiveFraction.safeParse(fraction).success) {
      throw new VivaError(
        'INVALID_ARGUMENT',
        `--positive-fraction must be a fraction of the frames in ${describeBounds(numberBounds(schema.positiveFraction)).replace(/^a number in /, '')} (0.3 labels the top 30 %), got "${v['positive-fraction']}"`,
      )
    }
    const scope = choiceOption(v.scope, 'scope', THRESHOLD_SCOPES, 'task')
    const summary = await readDatasetSummary(root)
    const settings = advantageSettings(summary.fps, intOption(v.k, 'k', schema.k), fraction, scope)
    const annotations = await readAnnotations(path.resolve(v.annotations))
    const { curves, warnings } = await readCurves(path.resolve(v.values), summary)
    for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
    const { items, pools, leftOut } = pooledAdvantages(analysisInput(summary, annotations, curves), settings)
    for (const c of leftOut) process.stderr.write(`viva: episode ${c.info.episode} (${c.info.name}) left out: no success/failure outcome for its rewards\n`)
    if (items.length === 0) throw new VivaError('INVALID_ARGUMENT', 'No curve belongs to an episode with a success/failure outcome')

    const rows = { series: [] as string[], episode: [] as bigint[], frame: [] as bigint[], value: [] as number[], advantage: [] as number[], indicator: [] as boolean[] }
    for (const item of items) {
      const { info, values } = item.curve
      const a = item.advantages
      const threshold = pools.get(thresholdKey(item.series, item.task, scope))?.threshold ?? Number.NaN
      const ind = advantageIndicators(a, threshold)
      const shown = toDisplay(values, info.convention, values.length)
      for (let f = 0; f < a.length; f++) {
        rows.series.push(info.name)
        rows.episode.push(BigInt(info.episode))
        rows.frame.push(BigInt(f))
        rows.value.push(shown[f] as number)
        rows.advantage.push(a[f] as number)
        rows.indicator.push(ind[f] === 1)
      }
    }
    // One entry per pool: what RECAP labelled, so a run can be checked (about positiveFraction of each pool's frames).
    const nameOf = new Map(items.map((i) => [i.series, i.curve.info.name]))
    const thresholds = Object.fromEntries(
      [...pools.values()].map((p) => [
        p.task === null ? (nameOf.get(p.series) ?? p.series) : `${nameOf.get(p.series) ?? p.series} | ${p.task}`,
        { threshold: p.threshold, episodes: p.episodes, frames: p.frames, positives: p.positives, positiveRate: p.positives / p.frames },
      ]),
    )
    const { k, positiveFraction } = settings
    const meta = { k, kSeconds: k / summary.fps, fps: summary.fps, positiveFraction, scope, thresholds }
    let data: Uint8Array | string
    if (ext === '.parquet') {
      data = encodeParquet(
        [
          { name: 'series', type: 'STRING', data: rows.series, nullable: false },
          { name: 'episode_index', type: 'INT64', data: rows.episode, nullable: false },
          { name: 'frame_index', type: 'INT64', data: rows.frame, nullable: false },
          { name: 'value', type: 'FLOAT', data: rows.value },
          { name: 'advantage', type: 'DOUBLE', data: rows.advantage },
          { name: 'advantage_positive', type: 'BOOLEAN', data: rows.indicator, nullable: false },
        ],
        { metadata: { 'viva-studio': JSON.stringify(meta) } },
      )
    } else {
      const header = ['series', 'episode_index', 'frame_index', 'value', 'advantage', 'advantage_positive']
      data = formatCsv([header, ...rows.value.map((v, i) => [rows.series[i] as string, rows.episode[i] as bigint, rows.frame[i] as bigint, v, rows.advantage[i] as number, rows.indicator[i] ? 1 : 0])])
    }
    await guard.writeFile(out, data, 'export')
    process.stdout.write(`${JSON.stringify({ out, rows: rows.value.length, episodes: items.length, ...meta }, null, 2)}\n`)
    return 0
  },
})
