import { describe, expect, it } from 'vitest'
import type { Edit, EventKind } from '../annotations'
import { applyEdit, emptyProject } from './apply'
import { addEventEdit, episodeEdit, saveTaxonomyEdit } from './builders'
import { eventsOfEpisode, nextEvent, prevEvent, taskSummary } from './queries'
import { at, event, withEvents } from '../testing/editFixtures'

describe('queries', () => {
  const state = withEvents(
    event({ id: 'c', frame: 30, createdAt: at(1) }),
    event({ id: 'a', frame: 10, createdAt: at(2) }),
    event({ id: 'b', frame: 10, createdAt: at(1) }),
    event({ id: 'z', frame: 5, episode: 1 }),
  )

  it('lists an episode’s events by frame, then creation time', () => {
    expect(eventsOfEpisode(state, 0).map((e) => e.id)).toEqual(['b', 'a', 'c'])
    expect(eventsOfEpisode(state, 7)).toEqual([])
  })

  it('finds the next and previous event strictly after / before a frame', () => {
    expect(nextEvent(state, 0, 0)?.id).toBe('b')
    expect(nextEvent(state, 0, 10)?.id).toBe('c')
    expect(nextEvent(state, 0, 30)).toBeNull()
    expect(prevEvent(state, 0, 30)?.id).toBe('a')
    expect(prevEvent(state, 0, 10)).toBeNull()
    expect(prevEvent(state, 1, 100)?.id).toBe('z')
  })

  it('summarizes a task: review progress, outcomes, milestone and error-type counts', () => {
    let s = applyEdit(emptyProject(), saveTaxonomyEdit(emptyProject(), 'fold', ['Grasp', 'Fold'], ['Drop', 'Stall'], null, at(0)) as Edit)
    const add = (id: string, episode: number, frame: number, kind: EventKind, label: string): void => {
      s = applyEdit(s, addEventEdit(s, { id, episode, frame, kind, label, annotator: 'a', taxonomyVersion: 1 }, at(1)))
    }
    add('1', 0, 1, 'milestone', 'Grasp')
    add('2', 1, 1, 'milestone', 'Grasp')
    add('3', 1, 2, 'error', 'Drop')
    add('4', 1, 3, 'error', 'Slip (v0)')
    add('5', 1, 99, 'error', 'Drop') // beyond the episode's 50 frames: not counted
    add('6', 9, 1, 'error', 'Drop') // another task's episode
    add('7', 0, 2, 'milestone', '__proto__')
    s = applyEdit(s, episodeEdit(s, 0, { status: 'done', outcome: 'success' }, at(2)) as Edit)
    s = applyEdit(s, episodeEdit(s, 1, { status: 'needs_review', outcome: 'failure' }, at(2)) as Edit)
    s = applyEdit(s, episodeEdit(s, 2, { status: 'in_progress' }, at(2)) as Edit)
    const summary = taskSummary(s, [{ index: 0, length: 50 }, { index: 1, length: 50 }, { index: 2, length: 50 }, { index: 3, length: 50 }], 'fold')
    expect(summary).toMatchObject({ episodes: 4, done: 1, needsReview: 1, inProgress: 1, todo: 1, success: 1, failure: 1, unknown: 2 })
    expect(Object.entries(summary.milestoneCounts)).toEqual([['Grasp', 2], ['Fold', 0], ['__proto__', 1]])
    expect(Object.entries(summary.errorCounts)).toEqual([['Drop', 1], ['Stall', 0], ['Slip (v0)', 1]])
    expect(Object.getPrototypeOf(summary.milestoneCounts)).toBe(Object.prototype)
  })
})
