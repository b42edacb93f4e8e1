import { describe, expect, it } from 'vitest'
import { callFacts, RendererGate } from './activity'

describe('callFacts', () => {
  it('learns the opened dataset, the current dataset and the episode on screen', () => {
    expect(callFacts('dataset.open', { path: '/d' }, { id: 'abc', root: '/data/d' })).toEqual({ datasetId: 'abc', openedRoot: '/data/d', episode: null })
    expect(callFacts('episode.open', { datasetId: 'abc', episode: 4 }, {})).toEqual({ datasetId: 'abc', openedRoot: null, episode: 4 })
    expect(callFacts('annotations.load', { datasetId: 'xyz' }, {})).toEqual({ datasetId: 'xyz', openedRoot: null, episode: null })
    expect(callFacts('app.info', {}, {})).toEqual({ datasetId: null, openedRoot: null, episode: null })
    expect(callFacts('episode.open', { datasetId: 'abc', episode: -1 }, {}).episode).toBeNull()
    expect(callFacts('dataset.open', {}, null)).toEqual({ datasetId: null, openedRoot: null, episode: null })
  })
})

describe('RendererGate', () => {
  it('holds commands until app.info and dataset.list are answered, then sends them in order', () => {
    const sent: string[] = []
    const gate = new RendererGate<string>((c) => sent.push(c))
    gate.push('a')
    gate.callAnswered('app.info')
    gate.push('b')
    expect(sent).toEqual([])
    gate.callAnswered('dataset.list')
    expect(sent).toEqual(['a', 'b'])
    expect(gate.isOpen).toBe(true)
    gate.push('c')
    expect(sent).toEqual(['a', 'b', 'c'])
  })

  it('waits again after a reload', () => {
    const sent: string[] = []
    const gate = new RendererGate<string>((c) => sent.push(c))
    gate.callAnswered('dataset.list')
    gate.callAnswered('app.info')
    gate.reset()
    gate.push('x')
    expect(sent).toEqual([])
    gate.callAnswered('app.info')
    gate.callAnswered('dataset.list')
    expect(sent).toEqual(['x'])
  })
})
