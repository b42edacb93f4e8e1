import { describe, expect, it } from 'vitest'
import type { ExportDocument } from '../../app/exchange'
import { buildExportDocument, eventsCsvRows, parseImportDocument, serializeExport } from '../../app/exchange'
import { dataset, EXPORTED_AT, sampleProject } from '../../app/testing/exchangeFixtures'
import { thrown } from '../../app/testing/thrown'
import { formatCsv, parseCsv } from '../formats/csv'

/** The annotation CSV export as main/store/projects.ts writes it: app's rows, main's encoder, CRLF line ends. */
const eventsToCsv = (doc: ExportDocument, fps?: number): string => formatCsv(eventsCsvRows(doc, fps), { eol: '\r\n' })

describe('annotation CSV export', () => {
  it('writes one quoted-as-needed row per event, sorted as in the JSON, with the recorded timestamp and frame/fps', () => {
    // Recorded timestamps that start at 0.05 s and drift 1 ms a frame (episode 3's table has none).
    const recorded = (episode: number, frame: number): number | null => (episode === 3 ? null : Math.fround(0.05 + frame / 30 + frame * 0.001))
    const csv = eventsToCsv(buildExportDocument(sampleProject(), { ...dataset, timestampOf: recorded }, {}, EXPORTED_AT), 30)
    expect(csv.split('\r\n')).toEqual([
      'episode_index,frame_index,timestamp,time_from_frame_s,kind,direction,label,note,annotator',
      '0,12,0.462000,0.400000,milestone,1,Grasp,,ana',
      '0,40,1.423333,1.333333,error,-1,Grasp failure,"slipped, then ""recovered""\nsecond line",ana',
      '1,5,0.221667,0.166667,milestone,1,Return,,ana',
      '3,449,,14.966667,milestone,1,Close lid,,ana',
      '3,449,,14.966667,milestone,1,Fold,,ana',
      '',
    ])
    const doc = buildExportDocument(sampleProject(), { ...dataset, timestampOf: recorded }, {}, EXPORTED_AT)
    expect(doc.events.map((e) => [e.timestamp, e.time_from_frame_s])).toEqual([
      [0.462, 0.4],
      [1.423333, 1.333333],
      [0.221667, 0.166667],
      [null, 14.966667],
      [null, 14.966667],
    ])
    // Informative fields: the document still imports (they are ignored), and its events stay the same.
    expect(parseImportDocument(serializeExport(doc)).events).toEqual(doc.events)
  })

  it('quotes commas, quotes and line breaks in every text column', () => {
    const doc = buildExportDocument(sampleProject(), dataset, {}, EXPORTED_AT)
    const weird = { ...doc, events: [{ ...(doc.events[0] as ExportDocument['events'][number]), label: 'a,b', note: 'x\r\ny', annotator: '"q"' }] }
    expect(eventsToCsv(weird).split('\r\n')[1]).toBe('0,12,,0.400000,milestone,1,"a,b","x\r\ny","""q"""'.split('\r\n')[0])
    expect(eventsToCsv(weird)).toContain('0,12,,0.400000,milestone,1,"a,b","x\r\ny","""q"""\r\n')
    expect(thrown(() => eventsToCsv(doc, 0)).code).toBe('INVALID_ARGUMENT')
  })

  it('reads back field for field', () => {
    const doc = buildExportDocument(sampleProject(), dataset, {}, EXPORTED_AT)
    const back: string[][] = []
    parseCsv(eventsToCsv(doc), (fields) => back.push([...fields]), (line, problem) => {
      throw new Error(`${line}: ${problem}`)
    })
    expect(back).toEqual(eventsCsvRows(doc).map((row) => row.map((cell) => (cell === null ? '' : String(cell)))))
  })
})
