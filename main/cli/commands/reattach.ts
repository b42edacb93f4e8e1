import { VivaError } from '../../../app/errors'
import { defineCommand } from '../command'
import { openForAnnotations, projectOption } from '../projectServices'

export const reattachCommand = defineCommand({
  name: 'reattach',
  synopsis: 'reattach <dataset> [--fresh]',
  description:
    'A moved or renamed dataset: take over the annotations found in the project of its old path (the old file is\n' +
    'kept), or start an empty project (--fresh)',
  options: {
    fresh: { type: 'boolean', help: 'Start an empty project instead' },
    project: projectOption,
  },
  async run([root], values, ctx) {
    const { services, summary } = await openForAnnotations(ctx, root, values.project, 'usage: viva reattach <dataset> [--fresh]')
    try {
      const offer = services.projects.reattachOffer(summary.id)
      if (values.fresh) {
        await services.reattach(summary.id, 'fresh')
        process.stdout.write(
          `${summary.root} starts with an empty project: ${services.projects.store(summary.id).file}` +
            (offer ? ` (the annotations at ${offer.previousPath} stay in ${offer.projectPath})` : '') +
            '\n',
        )
        return 0
      }
      if (!offer) throw new VivaError('NOT_FOUND', `No project of another path holds annotations of ${summary.root}: nothing to re-attach.`)
      await services.reattach(summary.id, 'reattach', offer.projectPath)
      process.stdout.write(
        `Re-attached ${offer.annotationCount} events from ${offer.projectPath} (made for ${offer.previousPath}) to ${summary.root}: ` +
          `${services.projects.store(summary.id).file}; the original file is kept as it was.\n`,
      )
    } finally {
      services.projects.close()
    }
    return 0
  },
})
