import { createRoot } from 'react-dom/client'
import type { VivaClient } from '../../app/contract'
import { App } from './App'
import { createElectronClient, getBridge } from './client/electronClient'
import { guardUnsavedNotes } from './components/unloadGuard'
import { connectWebSocketClient } from './client/wsClient'
import { StoreProvider } from './state/StoreContext'
import { createAppStore } from './state/store'
import { applyTheme, resolveTheme, storedThemePreference, systemThemeOf } from './state/theme'
import './styles.css'

async function connect(): Promise<VivaClient> {
  const bridge = getBridge()
  return bridge ? createElectronClient(bridge) : connectWebSocketClient(window.location)
}

// The remembered theme from the first paint on (the store takes over once connected).
applyTheme(document, resolveTheme(storedThemePreference(), systemThemeOf(window)))

const rootEl = document.getElementById('root')
if (!rootEl) throw new Error('#root missing')
const root = createRoot(rootEl)

connect().then(
  (client) => {
    const store = createAppStore(client)
    guardUnsavedNotes(store, window, { warnBeforeUnload: true })
    root.render(
      <StoreProvider store={store} client={client}>
        <App />
      </StoreProvider>,
    )
  },
  (err: unknown) => {
    root.render(
      <div className="fatal" role="alert">
        <h1>ViVa Studio cannot start</h1>
        <p>{err instanceof Error ? err.message : String(err)}</p>
      </div>,
    )
  },
)
