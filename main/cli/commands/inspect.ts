import path from 'node:path'
import { VivaError } from '../../../app/errors'
import { contentWarning } from '../../datasets/episodeChecks'
import { inspectDataset } from '../../datasets/inspect'
import { formatInspectReport } from '../../datasets/inspectReport'
import { HfCacheLocator, resolveDatasetSpec } from '../../datasets/sources'
import { ProjectIndex, reattachPendingMessage } from '../../store/projectIndex'
import { reattachOfferFor } from '../../store/projects'
import { VideoProber } from '../../video/probe'
import { resolveMediaTools } from '../../video/tools'
import { defineCommand } from '../command'
import { countProgress } from '../progress'

export const inspectCommand = defineCommand({
  name: 'inspect',
  synopsis: 'inspect <dataset> [--json] [--skip-content]',
  description:
    'Describe a LeRobot dataset and every problem found in it (every camera of every episode sampled for black or\n' +
    'frozen video, unless --skip-content)',
  options: {
    json: { type: 'boolean', help: 'The report as JSON on stdout' },
    'skip-content': { type: 'boolean', help: 'Do not sample the videos for black or frozen frames' },
  },
  async run([root], values, { dataDir, projectsDir }) {
    if (!root) throw new VivaError('INVALID_ARGUMENT', 'usage: viva inspect <dataset> [--json] [--skip-content]')
    const tools = resolveMediaTools()
    const prober = new VideoProber(tools)
    const progress = countProgress(process.stderr, 'probed', 'video files')
    const sampled = countProgress(process.stderr, 'checked', 'camera episodes for black or frozen video')
    const { root: folder, via } = await resolveDatasetSpec(root, [new HfCacheLocator(process.env)])
    if (via !== null) process.stderr.write(`viva: ${root}: found in ${via}: ${folder}\n`)
    const report = await inspectDataset(
      folder,
      async (file) => {
        const p = await prober.probe(file)
        return { codec: p.codec, width: p.width, height: p.height, frames: p.pts.length, pts: p.pts }
      },
      {
        onProbeProgress: (done, total) => {
          progress.update(done, total)
          if (done === total) progress.finish()
        },
        ...(values['skip-content']
          ? {}
          : {
              content: {
                check: (t) => contentWarning(tools, t.fps, t.episode, t, t.pts),
                onProgress: (done, total) => sampled.update(done, total),
              },
            }),
      },
    )
    sampled.finish()
    // Where this dataset's annotations are, if they wait in the project of another path (a moved folder).
    const dir = projectsDir ?? path.join(dataDir, 'projects')
    const reattach = reattachOfferFor(new ProjectIndex(dir), dir, report)
    if (values.json) process.stdout.write(`${JSON.stringify({ ...report, reattach }, null, 2)}\n`)
    else process.stdout.write(`${formatInspectReport(report)}\n${reattach ? `  annotations  ${reattachPendingMessage(reattach)}\n` : ''}`)
    return 0
  },
})
