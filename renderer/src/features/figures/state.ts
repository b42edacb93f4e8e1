/**
 * Rendering an episode to MP4 from the player (render.video): one render at a time per window, its progress from
 * render.progress events carrying this render's token, and Cancel, which aborts the call (the client cancels it on
 * the main side, which stops ffmpeg and removes the partial file). A cancelled render goes back to idle with no
 * error: the user asked for it.
 */
import type { RenderProgress, RenderVideoResult } from '../../../../app/contract'
import { toWireError, type WireError } from '../../../../app/errors'
import type { ErrorsSlice } from '../../state/errors'
import { createRequests } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { RenderRequest } from './renderForm'
import { newId } from '../../state/newId'

export type RenderState =
  | { phase: 'idle' }
  | { phase: 'running'; token: string; episode: number; out: string; done: number; total: number }
  | { phase: 'done'; result: RenderVideoResult }
  | { phase: 'failed'; error: WireError }

export interface RenderSlice {
  render: RenderState
  /** Start rendering (a render already running in this window is cancelled first). */
  startRender(request: RenderRequest): Promise<void>
  /** Stop the running render; back to idle at once. */
  cancelRender(): void
  /** From render.progress: only this window's running render moves. */
  applyRenderProgress(p: RenderProgress): void
  /** Forget a finished or failed render (its dialog closed). A running one stays. */
  clearRender(): void
}

const RENDER_KEY = 'render'


export function createRenderSlice({ client, set, get }: SliceContext<RenderSlice, ErrorsSlice>): RenderSlice {
  const requests = createRequests()
  const isRunning = (token: string): boolean => {
    const r = get().render
    return r.phase === 'running' && r.token === token
  }
  return {
    render: { phase: 'idle' },

    async startRender(request) {
      const token = newId()
      const total = (request.to ?? 0) - (request.from ?? 0) + 1
      set({ render: { phase: 'running', token, episode: request.episode, out: request.out, done: 0, total } })
      const outcome = await requests.run(RENDER_KEY, (signal) => client.call('render.video', { ...request, token }, signal))
      if (!isRunning(token)) return
      if (outcome.status === 'ok') set({ render: { phase: 'done', result: outcome.value } })
      else if (outcome.status === 'stale') set({ render: { phase: 'idle' } })
      else {
        const error = toWireError(outcome.error)
        if (error.code === 'CANCELLED') {
          set({ render: { phase: 'idle' } })
          return
        }
        set({ render: { phase: 'failed', error } })
        get().pushError(outcome.error)
      }
    },

    cancelRender() {
      if (get().render.phase !== 'running') return
      requests.abort(RENDER_KEY)
      set({ render: { phase: 'idle' } })
    },

    applyRenderProgress(p) {
      const r = get().render
      if (r.phase !== 'running' || p.token !== r.token) return
      set({ render: { ...r, done: Math.max(r.done, p.done), total: p.total } })
    },

    clearRender() {
      if (get().render.phase !== 'running') set({ render: { phase: 'idle' } })
    },
  }
}
