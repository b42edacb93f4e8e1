import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { composeServices } from './compose'
import { openDemo } from './demo'

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'viva-demo-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('built-in demo', () => {
  it('generates once, opens with the ground truth as its annotations, and never overwrites the user’s work', async () => {
    const first = composeServices({ mode: 'browser', version: 'test', dataDir })
    const id = await openDemo(first, dataDir)
    const summary = first.datasets.get(id).summary
    expect(summary.cameras.map((c) => c.key)).toEqual([
      'observation.images.cam_high',
      'observation.images.cam_left_wrist',
      'observation.images.cam_right_wrist',
    ])
    expect(summary.episodes).toHaveLength(8)
    const snapshot = first.projects.snapshot(id)
    expect(snapshot.taxonomies).toHaveLength(1)
    expect(snapshot.events.some((e) => e.kind === 'milestone')).toBe(true)
    expect(new Set(snapshot.episodes.map((e) => e.outcome))).toEqual(new Set(['success', 'failure']))
    expect(first.initialDatasets).toEqual([id])

    // The user deletes an event; opening the demo again keeps that.
    const victim = snapshot.events[0]!
    first.projects.apply(id, [{ op: 'event.delete', event: victim }])
    first.projects.close()
    const second = composeServices({ mode: 'browser', version: 'test', dataDir })
    expect(await openDemo(second, dataDir)).toBe(id)
    expect(second.projects.snapshot(id).events.map((e) => e.id)).not.toContain(victim.id)
    second.projects.close()
  }, 120_000)
})
