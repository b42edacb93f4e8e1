import path from 'node:path'
import { VivaError } from '../../../app/errors'
import { buildMetricsReport, metricsReportText } from '../../../app/metricsReport'
import { DEFAULT_ERS_WINDOW, parseSpan } from '../../../app/timeSpan'
import { analysisInput } from '../../analysis/compute'
import { readAnnotations, readCurves } from '../../analysis/fileInput'
import { readDatasetSummary } from '../../compose'
import { choiceOption, defineCommand } from '../command'
import { annotationsOption, spanHelp, valuesOption } from '../analysisOptions'

export const metricsCommand = defineCommand({
  name: 'metrics',
  synopsis: 'metrics <dataset> --annotations FILE.json --values FILE|DIR [--window 0.167s|5f] [--variant relative|absolute] [--json]',
  description:
    "The paper's metrics (Pearson, Spearman, VOC, MS, ES, MDR, ErrDR) per task and value curve series, from an\n" +
    'annotation export and curve files; the ERS window in seconds (scaled by the dataset\'s fps; default 1/6 s: 5\n' +
    'frames at 30 fps; the paper does not state w) or exact frames; the frames used are printed',
  options: {
    annotations: annotationsOption,
    values: valuesOption,
    window: { type: 'string', value: 'SPAN', help: spanHelp('The ERS window') },
    variant: { type: 'string', value: 'V', help: 'relative or absolute (default relative)' },
    json: { type: 'boolean', help: 'The report as JSON' },
  },
  async run([root], v) {
    const usage = 'usage: viva metrics <dataset> --annotations FILE.json --values FILE|DIR [--window 0.167s|5f] [--variant relative|absolute] [--json]'
    if (!root || !v.annotations || !v.values) throw new VivaError('INVALID_ARGUMENT', usage)
    const variant = choiceOption(v.variant, 'variant', ['relative', 'absolute'], 'relative')
    // A duration (scaled by the dataset's fps) or exact frames; default the paper's 5 frames at 30 fps, as 1/6 s.
    const window = v.window === undefined ? DEFAULT_ERS_WINDOW : parseSpan(v.window, '--window')
    const summary = await readDatasetSummary(root)
    const annotations = await readAnnotations(path.resolve(v.annotations))
    const { curves, warnings } = await readCurves(path.resolve(v.values), summary)
    for (const w of warnings) process.stderr.write(`viva: ${w}\n`)
    const report = buildMetricsReport(analysisInput(summary, annotations, curves), { window, variant })
    process.stdout.write(v.json ? `${JSON.stringify({ dataset: summary.name, ...report }, null, 2)}\n` : metricsReportText(report))
    return 0
  },
})
