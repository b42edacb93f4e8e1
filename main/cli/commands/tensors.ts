import path from 'node:path'
import { VivaError } from '../../../app/errors'
import { writeTensorCache } from '../../training/tensorCache'
import { countOption, defineCommand } from '../command'

export const tensorsCommand = defineCommand({
  name: 'tensors',
  synopsis: 'tensors <dataset> --out DIR [--size 128] [--k K] [--labels FILE.json]',
  description: 'Write the tensor cache the PyTorch ViVa training reads (models/viva)',
  options: {
    out: { type: 'string', value: 'DIR', help: 'The cache folder' },
    size: { type: 'string', value: 'N', help: 'Image side in pixels (default 128)' },
    k: { type: 'string', value: 'K', help: 'Future-state offset in frames (default 50 at 30 fps, scaled with the fps)' },
    labels: { type: 'string', value: 'FILE', help: 'An annotation export giving the outcomes' },
  },
  async run([root], values, ctx) {
    if (!root || !values.out) throw new VivaError('INVALID_ARGUMENT', 'usage: viva tensors <dataset> --out DIR [--size 128] [--k K] [--labels FILE]')
    const t0 = performance.now()
    const k = countOption(values.k, 'k')
    const result = await writeTensorCache({
      dataset: path.resolve(root),
      out: values.out,
      size: countOption(values.size, 'size') ?? 128,
      writeGuard: ctx.guardFor(root),
      ...(k !== undefined ? { k } : {}),
      ...(values.labels ? { labels: path.resolve(values.labels) } : {}),
      // A progress counter only for a person watching; logs get the summary line alone.
      ...(process.stderr.isTTY ? { onProgress: (done: number, total: number) => process.stderr.write(`\r${done}/${total} episodes`) } : {}),
    })
    if (process.stderr.isTTY) process.stderr.write('\n')
    const skipped = result.skipped.length > 0 ? `; skipped ${result.skipped.length} without a success/failure outcome` : ''
    process.stdout.write(
      `Wrote ${result.episodes} episodes (${result.frames} frames) to ${result.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s${skipped}\n`,
    )
    return 0
  },
})
