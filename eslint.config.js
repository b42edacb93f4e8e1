// Lint, including the layer rules of DESIGN.md: renderer → app ← main; main/electron and main/cli are entry
// points nobody imports. tsconfig per layer enforces the same from the type side (lib/types).
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http',
  'http2', 'https', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls',
  'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
]

const noNodeNoElectron = [
  { group: ['node:*'], message: 'This layer runs in the renderer or both processes: no Node built-ins.' },
  { group: ['electron', 'electron/*'], message: 'Only main/electron may import electron.' },
  ...NODE_BUILTINS.map((name) => ({ group: [name], message: 'No Node built-ins in this layer.' })),
]

export default tseslint.config(
  { ignores: ['dist/**', '.tsbuild/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'models/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['app/**/*.ts'],
    ignores: ['app/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...noNodeNoElectron,
          { group: ['**/main/**', '../main', '**/renderer/**', 'react', 'react-dom', 'zustand', 'plotly.js*'], message: 'app/ imports nobody (only pure libraries such as zod).' },
        ],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/**/*.test.{ts,tsx}', 'renderer/vite.config.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...noNodeNoElectron, { group: ['**/main/**', '../main'], message: 'The renderer talks to main only through the contract client.' }],
      }],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'Only main/electron may import electron; main/* must run as plain Node.' },
          { group: ['**/electron/*', '**/cli/*', '**/cli'], message: 'Nothing imports the entry points main/electron and main/cli.' },
          { group: ['**/renderer/**'], message: 'main/ never imports the renderer.' },
        ],
      }],
    },
  },
)
