import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { composeWriteGuard } from '../compose'
import { writeCurvesFile } from './exportCurves'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-export-curves-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('curve files', () => {
  it('quotes CSV header fields: joint names from a manifest may hold commas and quotes', async () => {
    const out = path.join(dir, 'values.csv')
    const meta = { model: 'm', modelId: 'id', convention: 'progress' as const, steps: 1, seed: 0, futureNames: ['left, gripper', 'say "hi"'], futureOffset: 5 }
    const curves = [{ episode: 3, values: Float32Array.from([0.25, 0.5]), future: Float32Array.from([1, 2, 3, 4]) }]
    await writeCurvesFile(out, curves, meta, composeWriteGuard({ dataDir: path.join(dir, 'data') }))
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('episode_index,frame_index,value,"future.left, gripper","future.say ""hi"""')
    expect(lines.slice(1)).toEqual(['3,0,0.25,1,2', '3,1,0.5,3,4'])
  })
})
