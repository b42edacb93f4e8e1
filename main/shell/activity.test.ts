import { describe, expect, it } from 'vitest'
import { PageActivity, RendererGate, type ActivityEffects } from './activity'

function effects(): ActivityEffects & { log: string[] } {
  const log: string[] = []
  return {
    log,
    rootOf: (id) => (id === 'abc' ? '/data/d' : null),
    addRecent: (root) => log.push(`recent ${root}`),
    rememberEpisode: (root, episode) => log.push(`episode ${root} ${episode}`),
    ready: () => log.push('ready'),
  }
}

describe('PageActivity', () => {
  it("follows the page's typed notices: the dataset on screen, its episode, the datasets it opened", () => {
    const fx = effects()
    const page = new PageActivity(fx, 'initial')
    expect(page.currentDatasetId).toBe('initial')
    page.onNotice({ name: 'shell.datasetOpened', payload: { datasetId: 'abc' } })
    page.onNotice({ name: 'shell.showing', payload: { datasetId: 'abc', episode: 4 } })
    page.onNotice({ name: 'shell.ready', payload: {} })
    expect(page.currentDatasetId).toBe('abc')
    expect(fx.log).toEqual(['recent /data/d', 'episode /data/d 4', 'ready'])
  })

  it('remembers nothing for a dataset that is not open, nor without an episode; a null dataset keeps the current one', () => {
    const fx = effects()
    const page = new PageActivity(fx)
    page.onNotice({ name: 'shell.showing', payload: { datasetId: 'gone', episode: 2 } })
    page.onNotice({ name: 'shell.datasetOpened', payload: { datasetId: 'gone' } })
    page.onNotice({ name: 'shell.showing', payload: { datasetId: 'abc', episode: null } })
    page.onNotice({ name: 'shell.showing', payload: { datasetId: null, episode: null } })
    expect(fx.log).toEqual([])
    expect(page.currentDatasetId).toBe('abc')
  })
})

describe('RendererGate', () => {
  it('holds commands until the page says it is ready, then sends them in order', () => {
    const sent: string[] = []
    const gate = new RendererGate<string>((c) => sent.push(c))
    gate.push('a')
    gate.push('b')
    expect(sent).toEqual([])
    gate.ready()
    expect(sent).toEqual(['a', 'b'])
    expect(gate.isOpen).toBe(true)
    gate.push('c')
    expect(sent).toEqual(['a', 'b', 'c'])
  })

  it('waits again after a reload', () => {
    const sent: string[] = []
    const gate = new RendererGate<string>((c) => sent.push(c))
    gate.ready()
    gate.reset()
    gate.push('x')
    expect(sent).toEqual([])
    gate.ready()
    expect(sent).toEqual(['x'])
  })
})
