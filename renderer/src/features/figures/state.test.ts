import { describe, expect, it } from 'vitest'
import type { RenderVideoResult } from '../../../../app/contract'
import { VivaError } from '../../../../app/errors'
import { heldAnswers, playerStore, settle } from '../../testing/builders'
import type { RenderRequest } from './renderForm'

const request: RenderRequest = { datasetId: 'd1', episode: 0, from: 10, to: 29, cameras: ['cam_high'], curves: [], events: true, tileHeight: 240, out: '/tmp/ep0.mp4' }
const result: RenderVideoResult = { file: '/tmp/ep0.mp4', frames: 20, fps: 30, width: 320, height: 400, cameras: ['cam_high'], curves: [] }

async function renderStore() {
  const { held, answer } = heldAnswers<RenderVideoResult>()
  const fake = await playerStore({ fps: 30, length: 50, episodes: 1 }, { 'render.video': answer })
  const call = () => fake.calls.filter((c) => c.method === 'render.video').at(-1)!
  return { ...fake, held, call }
}

describe('render slice', () => {
  it("calls render.video with a token, follows only its own render.progress, and ends with the result", async () => {
    const { store, held, call, emit } = await renderStore()
    const started = store.getState().startRender(request)
    const token = (call().params as { token: string }).token
    expect(call().params).toEqual({ ...request, token })
    expect(token).toMatch(/\S{8,}/)
    expect(store.getState().render).toEqual({ phase: 'running', token, episode: request.episode, out: '/tmp/ep0.mp4', done: 0, total: 20 })

    emit('render.progress', { token, done: 8, total: 20 })
    emit('render.progress', { token: 'another-window', done: 19, total: 40 })
    emit('render.progress', { token: null, done: 19, total: 40 })
    expect(store.getState().render).toMatchObject({ phase: 'running', done: 8, total: 20 })
    // Events may arrive out of order: the bar never goes back.
    emit('render.progress', { token, done: 16, total: 20 })
    emit('render.progress', { token, done: 10, total: 20 })
    expect(store.getState().render).toMatchObject({ done: 16 })

    held[0]!.resolve(result)
    await started
    expect(store.getState().render).toEqual({ phase: 'done', result })
    emit('render.progress', { token, done: 20, total: 20 })
    expect(store.getState().render).toEqual({ phase: 'done', result })
    store.getState().clearRender()
    expect(store.getState().render).toEqual({ phase: 'idle' })
  })

  it('Cancel aborts the call (the client cancels it on the main side) and goes back to idle without an error', async () => {
    const { store, held, call } = await renderStore()
    const started = store.getState().startRender(request)
    const signal = call().signal!
    expect(signal.aborted).toBe(false)
    store.getState().cancelRender()
    expect(signal.aborted).toBe(true)
    expect(store.getState().render).toEqual({ phase: 'idle' })
    // The main side's answer to a cancelled call (if any) changes nothing.
    held[0]!.reject(new VivaError('CANCELLED', 'Rendering cancelled.'))
    await started
    await settle()
    expect(store.getState().render).toEqual({ phase: 'idle' })
    expect(store.getState().errors).toEqual([])
  })

  it('a failed render says why, in the dialog and as a toast; a new render replaces it', async () => {
    const { store, held } = await renderStore()
    const first = store.getState().startRender(request)
    held[0]!.reject(new VivaError('INVALID_ARGUMENT', 'Refusing to write inside the dataset: /data/d1/x.mp4'))
    await first
    expect(store.getState().render).toEqual({ phase: 'failed', error: { code: 'INVALID_ARGUMENT', message: 'Refusing to write inside the dataset: /data/d1/x.mp4' } })
    expect(store.getState().errors.map((e) => e.message)).toEqual(['Refusing to write inside the dataset: /data/d1/x.mp4'])

    const second = store.getState().startRender(request)
    expect(store.getState().render.phase).toBe('running')
    // Starting again while one runs cancels the first; only the newest render's answer counts.
    const third = store.getState().startRender({ ...request, from: 0, to: 49 })
    held[1]!.resolve(result)
    await second
    expect(store.getState().render).toMatchObject({ phase: 'running', total: 50 })
    held[2]!.resolve({ ...result, frames: 50 })
    await third
    expect(store.getState().render).toMatchObject({ phase: 'done', result: { frames: 50 } })
  })
})
