import type { ExportFormat } from '../../../../app/contract'

/** `path` ending in `.ext`: added only when it does not end in it already (in any case), so it is never doubled. */
export function withExtension(path: string, ext: string): string {
  return path.toLowerCase().endsWith(`.${ext.toLowerCase()}`) ? path : `${path}.${ext}`
}

/**
 * The file "Write to path" writes: the typed path with the format's extension added only when it does not end in it
 * already (typing `…/labels.json` must not give `labels.json.json`). A LeRobot export is a folder: the path as typed.
 */
export function exportTarget(outPath: string, format: ExportFormat): string {
  if (format === 'lerobot') return outPath
  return withExtension(outPath, format)
}
