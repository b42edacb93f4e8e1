// Bundles the Electron shell (main + sandboxed preload) into CommonJS files Electron loads directly.
// Native modules stay external: they load their .node binaries from node_modules (unpacked from asar when packaged).
import { build } from 'esbuild'

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['electron', 'better-sqlite3', 'onnxruntime-node'], sourcemap: true, logLevel: 'warning' }
await build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/electron/main.cjs', banner: { js: "const __import_meta_url = require('url').pathToFileURL(__filename).href;" }, define: { 'import.meta.url': '__import_meta_url' } })
await build({ ...common, entryPoints: ['main/electron/preload.ts'], outfile: 'dist/electron/preload.cjs' })
