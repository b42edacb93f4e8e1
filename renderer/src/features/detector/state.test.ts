import { describe, expect, it } from 'vitest'
import type { Method, Params, Result } from '../../../../app/contract'
import type { CurveData, CurveInfo } from '../../../../app/curves'
import { DEFAULT_DETECTOR_SETTINGS, type Candidate } from '../../../../app/detector'
import { analysisCurve } from '../curves/curves'
import { candidateKey, candidateScope, strongestCandidates, MAX_SHOWN_CANDIDATES, visibleCandidates, type DetectedCandidates } from './candidates'
import { hiddenCandidateCount, shownCalibration, shownCandidates } from './state'
import { VivaError } from '../../../../app/errors'
import { createAppStore, type AppStore } from '../../state/store'
import { datasetClient, heldAnswers, openPlayer as showEpisode, testCurveData, testCurveInfo, testTaxonomy } from '../../testing/builders'

const LENGTH = 100

/** An imported curve of episode 0, complete. */
const info = (id: string, patch: Partial<CurveInfo> = {}): CurveInfo =>
  testCurveInfo(id, LENGTH, { source: 'import', computed: LENGTH, complete: true, modelId: null, modelName: null, params: null, file: `/curves/${id}.csv`, sourceId: `s-${id}`, ...patch })

// Steps up at frames 30 and 70, drops at 50: two milestones and an error for the default detector.
const data = (i: CurveInfo): CurveData => testCurveData(i, (f) => (f < 30 ? 0.1 : f < 50 ? 0.5 : f < 70 ? 0.2 : 0.8))

type Answers = Partial<{ [M in Method]: (p: Params<M>) => Result<M> | Promise<Result<M>> }>

function fakeClient(answers: Answers) {
  return datasetClient(
    { fps: 30, length: LENGTH, episodes: 2 },
    answers,
    { 'curves.list': () => [info('a'), info('b')], 'curves.get': ({ curveId }: { curveId: string }) => data(info(curveId)) },
    { taxonomies: [testTaxonomy('fold', ['grasp', 'fold'], ['drop'])] },
  )
}

async function openPlayer(answers: Answers = {}) {
  const fake = fakeClient(answers)
  const store = createAppStore(fake.client)
  await showEpisode(store)
  return { store, calls: fake.calls }
}

const cands: Candidate[] = [
  { kind: 'milestone', frame: 30, strength: 0.4 },
  { kind: 'error', frame: 50, strength: 0.3 },
  { kind: 'milestone', frame: 70, strength: 0.6 },
]

/** What the value plot's detection loop does, synchronously. */
function detect(store: AppStore, list: Candidate[] = cands): DetectedCandidates {
  const s = store.getState()
  const curve = analysisCurve(s)
  if (!curve || s.curvesKey === null) throw new Error('no analysis curve')
  const detected = { scope: candidateScope(s.curvesKey, curve.id), list }
  s.setDetected(detected)
  return detected
}

const frames = (list: Candidate[]): number[] => list.map((c) => c.frame)

describe('visibleCandidates', () => {
  const detected: DetectedCandidates = { scope: 'd1#0|a', list: cands }

  it('offers what was found for this episode and curve only', () => {
    expect(frames(visibleCandidates(detected, 'd1#0|a', [], []))).toEqual([30, 50, 70])
    expect(visibleCandidates(detected, 'd1#0|b', [], [])).toEqual([])
    expect(visibleCandidates(detected, 'd1#1|a', [], [])).toEqual([])
    expect(visibleCandidates(null, 'd1#0|a', [], [])).toEqual([])
    expect(visibleCandidates(detected, null, [], [])).toEqual([])
  })

  it('hides dismissed candidates of the same scope, and those already annotated with the same kind and frame', () => {
    expect(frames(visibleCandidates(detected, 'd1#0|a', ['d1#0|a|error@50', 'd1#0|b|milestone@30'], []))).toEqual([30, 70])
    expect(frames(visibleCandidates(detected, 'd1#0|a', [], [{ kind: 'milestone', frame: 70 }]))).toEqual([30, 50])
    // An event of the other kind at the frame does not make the candidate a duplicate.
    expect(frames(visibleCandidates(detected, 'd1#0|a', [], [{ kind: 'error', frame: 30 }]))).toEqual([30, 50, 70])
  })
})

describe('strongestCandidates', () => {
  it('keeps the strongest rises and drops, in frame order, and everything when there are few', () => {
    const many: Candidate[] = Array.from({ length: 10 }, (_, i) => ({ kind: i % 2 ? 'error' : 'milestone', frame: i * 10, strength: i % 2 ? -i / 10 : i / 20 }))
    expect(frames(strongestCandidates(many, 3))).toEqual([50, 70, 90])
    expect(frames(strongestCandidates(many, 20))).toEqual(frames(many))
    expect(strongestCandidates([], 3)).toEqual([])
  })

  it('caps what the store offers and counts the rest', async () => {
    const { store } = await openPlayer()
    const n = MAX_SHOWN_CANDIDATES + 37
    // Strength grows with the frame: the strongest are the last ones.
    detect(store, Array.from({ length: n }, (_, i) => ({ kind: 'milestone', frame: i, strength: (i + 1) / n })))
    const shown = shownCandidates(store.getState())
    expect(shown.length).toBe(MAX_SHOWN_CANDIDATES)
    expect(shown[0]?.frame).toBe(37)
    expect(hiddenCandidateCount(store.getState())).toBe(37)
    expect(frames(shown)).toEqual([...frames(shown)].sort((a, b) => a - b))
  })
})

describe('candidate bookkeeping in the store', () => {
  it('picks the first visible curve for analysis, or the chosen one', async () => {
    const { store } = await openPlayer()
    expect(analysisCurve(store.getState())?.id).toBe('a')
    store.getState().setAnalysisCurve('b')
    expect(analysisCurve(store.getState())?.id).toBe('b')
    store.getState().setAnalysisCurve('gone')
    expect(analysisCurve(store.getState())?.id).toBe('a')
  })

  it('dismissing hides a candidate for this episode and curve, selects the next; new parameters bring it back', async () => {
    const { store } = await openPlayer()
    detect(store)
    store.getState().selectCandidate('error@50')
    expect(store.getState().selectedCandidate).toBe('error@50')
    expect(store.getState().frame).toBe(50)

    store.getState().dismissCandidate()
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 70])
    expect(store.getState().selectedCandidate).toBe('milestone@70')

    // Another curve has its own dismissals; coming back, the dismissed one is still hidden.
    store.getState().setAnalysisCurve('b')
    detect(store)
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 50, 70])
    store.getState().setAnalysisCurve('a')
    detect(store)
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 70])

    // Same parameters: nothing changes. New parameters: the dismissed candidate is offered again.
    store.getState().setDetectorSettings({ ...DEFAULT_DETECTOR_SETTINGS })
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 70])
    store.getState().setDetectorSettings({ window: { seconds: 0.7 } })
    expect(store.getState().dismissedCandidates).toEqual([])
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 50, 70])
  })

  it('navigates candidates from the current frame', async () => {
    const { store } = await openPlayer()
    detect(store)
    store.getState().seek(40)
    store.getState().jumpCandidate(1)
    expect(store.getState().selectedCandidate).toBe('error@50')
    store.getState().jumpCandidate(1)
    expect(store.getState().selectedCandidate).toBe('milestone@70')
    store.getState().jumpCandidate(1)
    expect(store.getState().selectedCandidate).toBe('milestone@70')
    store.getState().jumpCandidate(-1)
    expect(store.getState().selectedCandidate).toBe('error@50')
  })

  it('accepting opens the label picker at the candidate; the label adds an undoable event that replaces the candidate', async () => {
    const { store, calls } = await openPlayer()
    detect(store)
    store.getState().selectCandidate('milestone@30')
    store.getState().acceptCandidate()
    expect(store.getState().picker).toEqual({ kind: 'milestone', frame: 30, eventId: null })
    // Nothing is saved until a label is picked.
    expect(calls.some((c) => c.method === 'annotations.apply')).toBe(false)

    await store.getState().pickLabel('grasp')
    expect(store.getState().errors).toEqual([])
    const events = [...store.getState().project!.events.values()]
    expect(events.map((e) => [e.kind, e.frame, e.label])).toEqual([['milestone', 30, 'grasp']])
    expect(calls.filter((c) => c.method === 'annotations.apply')).toHaveLength(1)
    expect(frames(shownCandidates(store.getState()))).toEqual([50, 70])
    expect(store.getState().selectedEventId).toBe(events[0]!.id)

    // Undo removes the event: the suggestion is back.
    await store.getState().undo()
    expect(store.getState().project!.events.size).toBe(0)
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 50, 70])
    await store.getState().redo()
    expect(frames(shownCandidates(store.getState()))).toEqual([50, 70])
  })

  it('undo after dismissing a suggestion brings the suggestion back and keeps the event accepted before it', async () => {
    const { store } = await openPlayer()
    detect(store)
    const eventFrames = (): number[] => [...store.getState().project!.events.values()].map((e) => e.frame)
    store.getState().acceptCandidate('milestone@30')
    await store.getState().pickLabel('grasp')
    store.getState().selectCandidate('error@50')
    store.getState().dismissCandidate()
    expect(frames(shownCandidates(store.getState()))).toEqual([70])

    // The dismissal was the last action: undo takes it back (and selects the suggestion), not the accepted event.
    await store.getState().undo()
    expect(eventFrames()).toEqual([30])
    expect(frames(shownCandidates(store.getState()))).toEqual([50, 70])
    expect(store.getState().selectedCandidate).toBe('error@50')
    // Redo dismisses it again; undo once more brings it back.
    await store.getState().redo()
    expect(eventFrames()).toEqual([30])
    expect(frames(shownCandidates(store.getState()))).toEqual([70])
    await store.getState().undo()
    expect(frames(shownCandidates(store.getState()))).toEqual([50, 70])
    // The step before it: the accepted event goes, its suggestion is offered again.
    await store.getState().undo()
    expect(eventFrames()).toEqual([])
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 50, 70])
    expect(store.getState().errors).toEqual([])
  })

  it('a dismissal made while the accepted event is still being saved is undone first', async () => {
    let release: () => void = () => undefined
    let slow = true
    const { store } = await openPlayer({
      'annotations.apply': ({ edits }) =>
        slow ? new Promise((resolve) => (release = () => resolve({ applied: edits.length }))) : { applied: edits.length },
    })
    detect(store)
    store.getState().acceptCandidate('milestone@30')
    const picked = store.getState().pickLabel('grasp')
    // X pressed before the main side acknowledged the add.
    store.getState().dismissCandidate('error@50')
    slow = false
    release()
    await picked
    await store.getState().undo()
    expect(store.getState().project!.events.size).toBe(1)
    expect(frames(shownCandidates(store.getState()))).toEqual([50, 70])
  })

  it('new detector parameters forget dismissals: undo then skips them instead of doing nothing', async () => {
    const { store } = await openPlayer()
    detect(store)
    store.getState().acceptCandidate('milestone@30')
    await store.getState().pickLabel('grasp')
    store.getState().dismissCandidate('error@50')
    store.getState().setDetectorSettings({ window: { seconds: 0.7 } })
    detect(store)
    expect(frames(shownCandidates(store.getState()))).toEqual([50, 70])
    await store.getState().undo()
    expect(store.getState().project!.events.size).toBe(0)
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 50, 70])
    expect(store.getState().canRedo()).toBe(true)
    await store.getState().redo()
    expect(store.getState().project!.events.size).toBe(1)
    expect(store.getState().canRedo()).toBe(false)
  })

  it('an error candidate opens the error picker; a cancelled picker keeps the candidate', async () => {
    const { store } = await openPlayer()
    detect(store)
    store.getState().acceptCandidate(candidateKey({ kind: 'error', frame: 50 }))
    expect(store.getState().picker).toEqual({ kind: 'error', frame: 50, eventId: null })
    store.getState().closePicker()
    expect(frames(shownCandidates(store.getState()))).toEqual([30, 50, 70])
    // Unknown candidates are ignored.
    store.getState().acceptCandidate('milestone@31')
    expect(store.getState().picker).toBeNull()
  })

  it('switching the detector off offers nothing', async () => {
    const { store } = await openPlayer()
    detect(store)
    store.getState().setDetectorOn(false)
    expect(shownCandidates(store.getState())).toEqual([])
  })
})

describe('detector calibration', () => {
  const calibrated = {
    smoothingSeconds: 0.1,
    window: { seconds: 0.8 },
    riseThreshold: null,
    dropThreshold: 0.08,
    minGap: { seconds: 0.3 },
    milestoneDelaySeconds: 0,
    errorDelaySeconds: 1,
  }
  const evaluation = {
    fps: 30,
    tolerance: { frames: 15, seconds: 0.5, fps: 30, requested: { seconds: 0.5 } },
    episodes: 6,
    settings: calibrated,
    params: { smoothing: 0.7, window: 24, riseThreshold: Infinity, dropThreshold: 0.08, minGap: 9, milestoneDelay: 0, errorDelay: 30 },
    crossValidated: true,
    folds: 5,
    foldSettings: [],
    score: {} as never,
    chance: {} as never,
  }
  const answer = (evaluated: boolean) => ({
    'detector.calibrate': ({ curveId }: { curveId: string }) => ({
      series: `i:s-${curveId}:${curveId}`,
      name: curveId,
      episodes: 8,
      evaluation: evaluated ? evaluation : null,
      settings: evaluated ? calibrated : DEFAULT_DETECTOR_SETTINGS,
      note: evaluated ? null : 'not calibrated: 1 annotated episode with a curve of this series, 2 needed; default settings',
    }),
  })

  it('asks for the analysis curve’s series and uses the calibrated settings, in seconds', async () => {
    const { store, calls } = await openPlayer(answer(true))
    await store.getState().calibrateDetector()
    expect(calls.filter((c) => c.method === 'detector.calibrate').map((c) => c.params)).toEqual([{ datasetId: 'd1', curveId: 'a' }])
    expect(store.getState().detectorSettings).toEqual(calibrated)
    expect(store.getState().detectorSource).toBe('calibrated')
    expect(shownCalibration(store.getState())?.result?.evaluation?.episodes).toBe(6)
    // Another curve's series: that calibration is not shown for it until asked.
    store.getState().setAnalysisCurve('b')
    expect(shownCalibration(store.getState())).toBeNull()
  })

  it('keeps hand-made settings until the calibrated or default ones are asked for', async () => {
    const { store } = await openPlayer(answer(true))
    store.getState().setDetectorSettings({ window: { seconds: 0.4 } })
    expect(store.getState().detectorSource).toBe('manual')
    await store.getState().calibrateDetector()
    expect(store.getState().detectorSettings.window).toEqual({ seconds: 0.4 })
    store.getState().restoreDetectorSettings('calibrated')
    expect(store.getState().detectorSettings).toEqual(calibrated)
    store.getState().restoreDetectorSettings('default')
    expect(store.getState().detectorSettings).toEqual(DEFAULT_DETECTOR_SETTINGS)
    expect(store.getState().detectorSource).toBe('default')
    // Out-of-range input is clamped into what the contract accepts.
    store.getState().setDetectorSettings({ window: { seconds: -1 }, riseThreshold: 99, minGap: { frames: 0 } })
    expect(store.getState().detectorSettings).toMatchObject({ window: DEFAULT_DETECTOR_SETTINGS.window, riseThreshold: 2, minGap: { frames: 1 } })
  })

  it('without enough annotated episodes: the defaults, and the reason', async () => {
    const { store } = await openPlayer(answer(false))
    await store.getState().calibrateDetector()
    expect(store.getState().detectorSource).toBe('default')
    expect(store.getState().detectorSettings).toEqual(DEFAULT_DETECTOR_SETTINGS)
    expect(shownCalibration(store.getState())?.result?.note).toMatch(/2 needed/)
  })

  it('a failed calibration says why and leaves the settings alone', async () => {
    const { store } = await openPlayer({
      'detector.calibrate': () => {
        throw new VivaError('INVALID_ARGUMENT', 'No complete curve of a yet')
      },
    })
    await store.getState().calibrateDetector()
    expect(shownCalibration(store.getState())).toMatchObject({ loading: false, result: null, error: 'No complete curve of a yet' })
    expect(store.getState().detectorSettings).toEqual(DEFAULT_DETECTOR_SETTINGS)
  })

  it('a calibration superseded by a newer one is aborted and its late answer never applied', async () => {
    type Calibration = Result<'detector.calibrate'>
    const held = heldAnswers<Calibration>()
    const { store, calls } = await openPlayer({ 'detector.calibrate': () => held.answer() })
    const first = store.getState().calibrateDetector()
    const second = store.getState().calibrateDetector()
    const asked = calls.filter((c) => c.method === 'detector.calibrate')
    expect(asked.map((c) => c.signal?.aborted)).toEqual([true, false])
    const answerOf = answer(true)['detector.calibrate']
    held.held[1]!.resolve({ ...answerOf({ curveId: 'a' }), evaluation: null, settings: DEFAULT_DETECTOR_SETTINGS })
    await second
    held.held[0]!.resolve(answerOf({ curveId: 'a' }))
    await first
    expect(store.getState().detectorSettings).toEqual(DEFAULT_DETECTOR_SETTINGS)
    expect(shownCalibration(store.getState())).toMatchObject({ loading: false, result: { evaluation: null } })
  })
})
