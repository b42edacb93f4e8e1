/**
 * The models the app knows, which one is selected, and how it maps onto the current dataset (cameras, state) and
 * whether it can score it. Reads the datasets; starting a scoring job is the jobs feature's (features/jobs).
 */
import type { CameraMapping, ModelCheck, ModelInfo, ProviderRequest } from '../../../../app/contract'
import { toWireError, type WireError } from '../../../../app/errors'
import type { ErrorsSlice } from '../../state/errors'
import { createRequests, type Outcome } from '../../state/request'
import type { SliceContext } from '../../state/slice'
import type { DatasetsSlice } from '../datasets/state'

export type SidePanel = 'annotations' | 'models'

export interface ModelsSlice {
  models: ModelInfo[]
  modelsLoaded: boolean
  selectedModelId: string | null
  provider: ProviderRequest
  /** Threads per model session; null = the main side's default (all cores). */
  threads: number | null
  /** Flow steps chosen per model id (viva-flow); absent = the model's default. */
  scoreSteps: Record<string, number>
  /** Camera mapping of the selected model for the current dataset. */
  cameraMap: CameraMapping | null
  /** Whether the selected model can score the current dataset as mapped (models.check), shown before Start. */
  modelCheck: ModelCheck | null
  sidePanel: SidePanel
  loadModels(): Promise<void>
  /** Registers a model folder; resolves with the error to show, or null when added. */
  addModelFolder(path: string): Promise<WireError | null>
  selectModel(id: string | null): void
  loadCameraMap(): Promise<void>
  setCameraSlot(slot: string, camera: string | null): Promise<void>
  loadModelCheck(): Promise<void>
  /** Save the state map for this dataset and model (null or '' clears it); resolves with the error to show, or null. */
  setStateMap(map: string | null): Promise<WireError | null>
  setProvider(provider: ProviderRequest): void
  setThreads(threads: number | null): void
  setScoreSteps(modelId: string, steps: number): void
  setSidePanel(panel: SidePanel): void
}

export interface ModelsHooks {
  /** Another model was selected, or the selected one's state map changed: an earlier refusal no longer holds. */
  modelChanged(): void
}

/** The selected model, if it loaded without error. */
export function selectedModel(s: Pick<ModelsSlice, 'models' | 'selectedModelId'>): ModelInfo | null {
  return s.models.find((m) => m.id === s.selectedModelId && m.error === null) ?? null
}

export function createModelsSlice({ client, set, get }: SliceContext<ModelsSlice, DatasetsSlice & ErrorsSlice>, hooks: ModelsHooks): ModelsSlice {
  // A camera map being saved and one being read share a key (the newer wins), as do the check and a saved state map.
  const requests = createRequests()

  /** Show the mapping a camera-map request came to (then check the model again), or `onError` and the error. */
  const showMap = (out: Outcome<CameraMapping>, onError: CameraMapping | null): void => {
    if (out.status === 'stale') return
    if (out.status === 'ok') {
      set({ cameraMap: out.value })
      void get().loadModelCheck()
    } else {
      set({ cameraMap: onError })
      get().pushError(out.error)
    }
  }

  return {
    models: [],
    modelsLoaded: false,
    selectedModelId: null,
    provider: 'auto',
    threads: null,
    scoreSteps: {},
    cameraMap: null,
    modelCheck: null,
    sidePanel: 'annotations',

    async loadModels() {
      try {
        const models = await client.call('models.list', {})
        set((s) => {
          const keep = models.some((m) => m.id === s.selectedModelId && m.error === null)
          return {
            models,
            modelsLoaded: true,
            selectedModelId: keep ? s.selectedModelId : (models.find((m) => m.error === null)?.id ?? null),
          }
        })
        await get().loadCameraMap()
      } catch (err) {
        set({ modelsLoaded: true })
        get().pushError(err)
      }
    },

    async addModelFolder(path) {
      try {
        const model = await client.call('models.addFolder', { path })
        set((s) => ({
          models: [...s.models.filter((m) => m.dir !== model.dir && (model.error !== null || m.id !== model.id)), model],
          selectedModelId: model.error === null ? model.id : s.selectedModelId,
        }))
        if (model.error === null) await get().loadCameraMap()
        return model.error
      } catch (err) {
        return toWireError(err)
      }
    },

    selectModel(id) {
      if (id === get().selectedModelId) return
      set({ selectedModelId: id, cameraMap: null, modelCheck: null })
      hooks.modelChanged()
      void get().loadCameraMap()
    },

    async loadCameraMap() {
      const datasetId = get().currentDatasetId
      const model = selectedModel(get())
      if (datasetId === null || !model) {
        requests.abort('cameraMap')
        set({ cameraMap: null, modelCheck: null })
        return
      }
      showMap(await requests.run('cameraMap', (signal) => client.call('models.cameraMap', { datasetId, modelId: model.id }, signal)), null)
    },

    async setCameraSlot(slot, camera) {
      const map = get().cameraMap
      if (!map) return
      const slots = { ...map.slots, [slot]: camera }
      set({ cameraMap: { ...map, slots, guessed: false } })
      // A write: not cancelled by a newer request, only its answer dropped.
      showMap(await requests.run('cameraMap', () => client.call('models.setCameraMap', { datasetId: map.datasetId, modelId: map.modelId, slots })), map)
    },

    async loadModelCheck() {
      const datasetId = get().currentDatasetId
      const model = selectedModel(get())
      if (datasetId === null || !model) {
        requests.abort('check')
        set({ modelCheck: null })
        return
      }
      const out = await requests.run('check', (signal) => client.call('models.check', { datasetId, modelId: model.id }, signal))
      if (out.status === 'stale') return
      if (out.status === 'ok') set({ modelCheck: out.value })
      else {
        set({ modelCheck: null })
        get().pushError(out.error)
      }
    },

    async setStateMap(map) {
      const datasetId = get().currentDatasetId
      const model = selectedModel(get())
      if (datasetId === null || !model) return null
      const out = await requests.run('check', () =>
        client.call('models.setStateMap', { datasetId, modelId: model.id, map: map === null || map.trim() === '' ? null : map }),
      )
      if (out.status === 'error') return toWireError(out.error)
      if (out.status === 'ok') {
        set({ modelCheck: out.value })
        hooks.modelChanged()
      }
      return null
    },

    setThreads(threads) {
      set({ threads })
    },

    setProvider(provider) {
      set({ provider })
    },

    setScoreSteps(modelId, steps) {
      if (!Number.isInteger(steps) || steps < 1 || steps > 100) return
      set((s) => ({ scoreSteps: { ...s.scoreSteps, [modelId]: steps } }))
    },

    setSidePanel(panel) {
      set({ sidePanel: panel })
    },
  }
}
