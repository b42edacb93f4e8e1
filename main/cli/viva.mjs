#!/usr/bin/env node
// Runs the TypeScript CLI directly from a checkout (tsx); packaged builds ship the bundled dist/cli instead.
import { register } from 'tsx/esm/api'

register()
await import('./index.ts')
