// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Params, PipelineExportResult } from '../../../../app/contract'
import { VivaError } from '../../../../app/errors'
import { StoreProvider } from '../../state/StoreContext'
import { createAppStore } from '../../state/store'
import { datasetClient, testSummary } from '../../testing/builders'
import { PipelineExports } from './PipelineExports'

const summary = testSummary({ fps: 30, length: 100, episodes: 2 })
const SERIES = [{ key: 'm:abc:1:0:cam', name: 'viva-reference', episodes: 2 }]

function setup(exportAnswer: (p: Params<'pipelines.export'>) => PipelineExportResult | Promise<PipelineExportResult>) {
  const fake = datasetClient({ fps: 30, length: 100, episodes: 2 }, { 'pipelines.series': () => SERIES, 'pipelines.export': exportAnswer })
  const store = createAppStore(fake.client)
  render(
    <StoreProvider store={store} client={fake.client}>
      <PipelineExports summary={summary} filters={() => ({ outcomes: ['success'] })} />
    </StoreProvider>,
  )
  const exportCalls = () => fake.calls.filter((c) => c.method === 'pipelines.export')
  const exports = () => exportCalls().map((c) => c.params as Params<'pipelines.export'>)
  return { exports, exportCalls, emit: fake.emit }
}

afterEach(cleanup)

describe('Training pipelines section', () => {
  it('sends the RLinf request with the chosen series, tag, K, share and failure reward, without the filters, and shows what was written', async () => {
    const { exports } = setup((p) => ({ format: p.format, paths: [p.out], episodes: 2, frames: 200, notes: ['threshold: -0.1'], usage: 'RLinf reads it' }))
    fireEvent.change(screen.getByLabelText('Pipeline format'), { target: { value: 'rlinf' } })
    await vi.waitFor(() => expect(screen.getByLabelText<HTMLSelectElement>('Value series').value).toBe(SERIES[0]?.key))
    fireEvent.change(screen.getByLabelText('RLinf tag'), { target: { value: 'run1' } })
    fireEvent.change(screen.getByLabelText('Advantage horizon K (frames)'), { target: { value: '40' } })
    fireEvent.change(screen.getByLabelText('Advantage-positive share (percent)'), { target: { value: '25' } })
    fireEvent.click(screen.getByTestId('pipeline-export'))
    // No failure reward yet: said at once, nothing sent.
    expect(screen.getByTestId('pipeline-error').textContent).toContain('enter the failure reward')
    expect(exports()).toEqual([])
    fireEvent.change(screen.getByLabelText('Failure reward'), { target: { value: '-300' } })
    fireEvent.click(screen.getByTestId('pipeline-export'))
    await vi.waitFor(() => expect(screen.getByTestId('pipeline-result').textContent).toContain(`Wrote ${summary.root}-rlinf (2 episodes, 200 frames)`))
    expect(exports()).toEqual([
      { datasetId: summary.id, out: `${summary.root}-rlinf`, format: 'rlinf', series: SERIES[0]?.key, tag: 'run1', failureReward: -300, scope: 'dataset', positiveFraction: 0.25, datasetType: 'rollout', unknown: 'error', k: 40, token: expect.any(String) },
    ])
    expect(screen.getByTestId('pipeline-result').textContent).toContain('threshold: -0.1')
  })

  it('passes the dialog\'s filters to a single-file export and shows the main side\'s error with its code', async () => {
    const { exports } = setup(() => {
      throw new VivaError('INVALID_ARGUMENT', 'episodes 1 have no outcome (success or failure)')
    })
    fireEvent.change(screen.getByLabelText('Pipeline format'), { target: { value: 'success-flags' } })
    fireEvent.click(screen.getByTestId('pipeline-export'))
    await vi.waitFor(() => expect(screen.getByTestId('pipeline-error').textContent).toBe('INVALID_ARGUMENT: episodes 1 have no outcome (success or failure)'))
    expect(exports()[0]).toMatchObject({ format: 'success-flags', copy: false, filters: { outcomes: ['success'] }, out: `${summary.root}-success` })
  })

  it("shows its own copy's progress (not another window's), and Cancel aborts the call and says so without an error", async () => {
    const pending: { reject: (err: unknown) => void }[] = []
    const { exports, exportCalls, emit } = setup(() => new Promise<PipelineExportResult>((_, reject) => pending.push({ reject })))
    fireEvent.change(screen.getByLabelText('Pipeline format'), { target: { value: 'lerobot-language' } })
    fireEvent.click(screen.getByTestId('pipeline-export'))
    await vi.waitFor(() => expect(exports()).toHaveLength(1))
    const token = exports()[0]?.token as string
    expect(token).toMatch(/\S{8,}/)
    act(() => emit('pipelines.progress', { token, done: 3, total: 40 }))
    expect(screen.getByTestId('pipeline-progress').textContent).toBe('3/40 files')
    act(() => emit('pipelines.progress', { token: 'another-window', done: 30, total: 90 }))
    act(() => emit('pipelines.progress', { token: null, done: 31, total: 90 }))
    expect(screen.getByTestId('pipeline-progress').textContent).toBe('3/40 files')

    const signal = exportCalls()[0]?.signal as AbortSignal
    expect(signal.aborted).toBe(false)
    fireEvent.click(screen.getByTestId('pipeline-cancel'))
    expect(signal.aborted).toBe(true)
    // The main side answers a cancelled call with CANCELLED (what the client gives back too).
    act(() => pending[0]?.reject(new VivaError('CANCELLED', `The copy to ${summary.root}-language was cancelled; nothing was left there`)))
    await vi.waitFor(() => expect(screen.getByTestId('pipeline-cancelled').textContent).toContain('was cancelled; nothing was left there'))
    expect(screen.queryByTestId('pipeline-error')).toBeNull()
    expect(screen.queryByTestId('pipeline-progress')).toBeNull()
    expect(screen.queryByTestId('pipeline-cancel')).toBeNull()
    expect(screen.getByTestId('pipeline-export').textContent).toBe('Export')
  })

  it('closing the dialog (unmounting the section) cancels a copy that is still running', async () => {
    const { exports, exportCalls } = setup(() => new Promise<PipelineExportResult>(() => undefined))
    fireEvent.change(screen.getByLabelText('Pipeline format'), { target: { value: 'lerobot-language' } })
    fireEvent.click(screen.getByTestId('pipeline-export'))
    await vi.waitFor(() => expect(exports()).toHaveLength(1))
    const signal = exportCalls()[0]?.signal as AbortSignal
    expect(signal.aborted).toBe(false)
    cleanup()
    expect(signal.aborted).toBe(true)
  })

  it("checks the dataset's SARM subtasks first, then imports them, saying what a new taxonomy holds", async () => {
    const answer = (p: Params<'pipelines.importSarm'>) => ({
      dryRun: p.dryRun === true, mode: p.mode, head: 'dense' as const, episodes: 2, milestonesAdded: 5, milestonesRemoved: 0, milestonesKept: 0,
      unknownLabels: [], ignoredResults: 0, unannotatedTasks: 1, stages: ['reach', 'grasp'], taxonomiesCreated: ['pick'],
    })
    const fake = datasetClient({ fps: 30, length: 100, episodes: 2 }, { 'pipelines.series': () => SERIES, 'pipelines.importSarm': answer })
    render(
      <StoreProvider store={createAppStore(fake.client)} client={fake.client}>
        <PipelineExports summary={summary} filters={() => ({})} />
      </StoreProvider>,
    )
    expect(screen.getByTestId<HTMLButtonElement>('sarm-import').disabled).toBe(true)
    fireEvent.click(screen.getByTestId('sarm-check'))
    await vi.waitFor(() => expect(screen.getByTestId('sarm-preview').textContent).toContain('Check (dense, merge): 5 milestones added'))
    expect(screen.getByTestId('sarm-preview').textContent).toContain('1 episodes without subtasks skipped; new taxonomy (reach, grasp) for "pick"')
    fireEvent.click(screen.getByTestId('sarm-import'))
    await vi.waitFor(() => expect(screen.getByTestId('sarm-imported').textContent).toContain('Imported the SARM dense annotations: 5 milestones added'))
    expect(fake.calls.filter((c) => c.method === 'pipelines.importSarm').map((c) => c.params)).toEqual([
      { datasetId: summary.id, mode: 'merge', dryRun: true },
      { datasetId: summary.id, mode: 'merge', dryRun: false },
    ])
  })
})
