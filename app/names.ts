/**
 * Names of the contract's methods and events, with no schema library attached, so the sandboxed preload can
 * check names without bundling the validators (validation happens on the main side, in one place).
 */
export const METHOD_NAMES = [
  'app.info',
  'dataset.open',
  'dataset.get',
  'dataset.list',
  'dataset.reattachProject',
  'dataset.checkEpisodes',
  'episode.open',
  'episode.features',
  'dataset.setStateKey',
  'media.prepare',
  'annotations.load',
  'annotations.apply',
  'annotations.export',
  'annotations.exportTo',
  'annotations.importPreview',
  'annotations.import',
  'upload.begin',
  'upload.append',
  'upload.discard',
  'models.list',
  'models.addFolder',
  'models.cameraMap',
  'models.setCameraMap',
  'models.check',
  'models.setStateMap',
  'score.start',
  'score.jobs',
  'score.pause',
  'score.cancel',
  'curves.list',
  'curves.get',
  'curves.import',
  'curves.delete',
  'metrics.compute',
  'metrics.export',
  'advantages.compute',
  'detector.calibrate',
  'triage.drops',
  'triage.episodeStats',
  'render.video',
  'pipelines.series',
  'pipelines.export',
  'pipelines.importLabelStudio',
  'pipelines.importSarm',
] as const
export const EVENT_NAMES = ['media.progress', 'annotations.changed', 'score.progress', 'score.chunk', 'curves.changed', 'app.command', 'render.progress', 'pipelines.progress'] as const

export type Method = (typeof METHOD_NAMES)[number]
export type EventName = (typeof EVENT_NAMES)[number]

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && (METHOD_NAMES as readonly string[]).includes(name)
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name)
}
