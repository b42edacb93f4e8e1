import { useEffect, useLayoutEffect, type ReactNode } from 'react'
import { ErrorToasts } from './components/ErrorToasts'
import { DatasetScreen } from './features/datasets/DatasetScreen'
import { PlayerScreen } from './features/player/PlayerScreen'
import { followLocation, parseLocation, restoreLocation } from './state/location'
import { useApp, useAppStore, useClient } from './state/StoreContext'
import { followTheme } from './state/theme'

export function App(): ReactNode {
  const screen = useApp((s) => s.screen)
  const store = useAppStore()
  const client = useClient()

  useEffect(() => {
    let cancelled = false
    // Read before anything changes the store: the hash follows the store from the first change on.
    const wanted = parseLocation(window.location.hash)
    void (async () => {
      try {
        const [info, datasets] = await Promise.all([client.call('app.info', {}), client.call('dataset.list', {})])
        if (cancelled) return
        const first = info.initialDatasets[0] ?? datasets[0]?.id ?? null
        store.getState().setOpenDatasets(datasets, first)
        // A reload comes back to the dataset, episode and frame it was on (the URL's hash says which).
        if (await restoreLocation(store, wanted)) return
        const summary = datasets.find((d) => d.id === first)
        if (summary) {
          store.getState().selectEpisode(summary.episodes.find((e) => e.present)?.index ?? null)
          void store.getState().loadProject(summary.id)
        }
      } catch (err) {
        store.getState().pushError(err)
      }
      // The first screen is chosen: the desktop shell may send its commands (menu, launcher) from now on.
      if (!cancelled) client.notify?.('shell.ready', {})
    })()
    return () => {
      cancelled = true
    }
  }, [client, store])

  useEffect(() => followLocation(store, window), [store])
  // Before paint: the first frame already has the theme's colours.
  useLayoutEffect(() => followTheme(store, window), [store])

  return (
    <div className="app">
      {screen === 'player' ? <PlayerScreen /> : <DatasetScreen />}
      <ErrorToasts />
    </div>
  )
}
