import { useEffect, useLayoutEffect, type ReactNode } from 'react'
import { parseLocationHash } from '../../app/location'
import { ErrorToasts } from './components/ErrorToasts'
import { DatasetScreen } from './features/datasets/DatasetScreen'
import { followLocation } from './features/links/followLocation'
import { PlayerScreen } from './features/player/PlayerScreen'
import { ShortcutHelp, useHelpKey } from './features/shortcuts/ShortcutHelp'
import { useApp, useAppStore, useClient } from './state/StoreContext'
import { followTheme } from './state/theme'

export function App(): ReactNode {
  const screen = useApp((s) => s.screen)
  const store = useAppStore()
  const client = useClient()

  useEffect(() => {
    let cancelled = false
    // Read before anything changes the store: the hash follows the store from the first change on.
    const wanted = parseLocationHash(window.location.hash)
    void (async () => {
      try {
        const [info, datasets] = await Promise.all([client.call('app.info', {}), client.call('dataset.list', {})])
        if (cancelled) return
        store.getState().setAppMode(info.mode)
        const first = info.initialDatasets[0] ?? datasets[0]?.id ?? null
        store.getState().setOpenDatasets(datasets, first)
        // A link (or a reload) goes to the dataset, episode, frame and curves the URL's hash names; one that names
        // nothing this app has open says why, and the app starts as usual.
        if (wanted && !wanted.ok) store.getState().refuseLink(wanted.problem)
        if (wanted?.ok && (await store.getState().followLink(wanted.location))) return
        const summary = datasets.find((d) => d.id === first)
        if (summary) {
          store.getState().selectEpisode(summary.episodes.find((e) => e.present)?.index ?? null)
          void store.getState().loadProject(summary.id)
        }
      } catch (err) {
        store.getState().pushError(err)
      } finally {
        // The first screen is chosen: the desktop shell may send its commands (menu, launcher, links) from now on.
        if (!cancelled) client.notify?.('shell.ready', {})
      }
    })()
    return () => {
      cancelled = true
    }
  }, [client, store])

  useEffect(() => followLocation(store, window), [store])
  useHelpKey()
  // Before paint: the first frame already has the theme's colours.
  useLayoutEffect(() => followTheme(store, window), [store])

  return (
    <div className="app">
      {screen === 'player' ? <PlayerScreen /> : <DatasetScreen />}
      <ShortcutHelp />
      <ErrorToasts />
    </div>
  )
}
