import type { ExportFormat } from '../../../../app/contract'

/**
 * The file "Write to path" writes: the typed path with the format's extension added only when it does not end in it
 * already (typing `…/labels.json` must not give `labels.json.json`). A LeRobot export is a folder: the path as typed.
 */
export function exportTarget(outPath: string, format: ExportFormat): string {
  if (format === 'lerobot') return outPath
  return outPath.toLowerCase().endsWith(`.${format}`) ? outPath : `${outPath}.${format}`
}
