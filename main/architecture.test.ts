import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseCircular, parseDependencyTree } from 'dpdm'
import { describe, expect, it } from 'vitest'

// The structure rules of issue 16, checked on every run so they hold after it: small files, no import circle, and a
// README architecture map that names the folders that exist.
const root = path.resolve(__dirname, '..')
const SOURCE_DIRS = ['app', 'main', 'renderer/src', 'bench', 'e2e', 'models/viva']
const SOURCE_EXT = /\.(ts|tsx|mts|mjs|js|py|sh)$/
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-results', 'fixtures', '__pycache__', 'resources'])
const MAX_LINES = 500

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith('.')) continue
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) walk(full, out)
    else out.push(full)
  }
  return out
}

function lineCount(file: string): number {
  const text = readFileSync(file, 'utf8')
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

describe('source tree', () => {
  it(`has no source file over ${MAX_LINES} lines (tests included)`, () => {
    const big = SOURCE_DIRS.flatMap((d) => walk(path.join(root, d)))
      .filter((f) => SOURCE_EXT.test(f))
      .map((f) => ({ file: path.relative(root, f), lines: lineCount(f) }))
      .filter((f) => f.lines > MAX_LINES)
    expect(big).toEqual([])
  })

  it('has no import circle among app/, main/ and the renderer (type-only imports included)', async () => {
    const tree = await parseDependencyTree(['app/**/*.ts', 'main/**/*.ts', 'renderer/src/**/*.ts', 'renderer/src/**/*.tsx'], {
      context: root,
      transform: false,
      skipDynamicImports: false,
    })
    expect(parseCircular(tree)).toEqual([])
  }, 120_000)

  it("README's architecture map names every source folder, and every folder it names exists", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    const start = readme.indexOf('## Architecture')
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5))
    const named = new Set([...section.matchAll(/`((?:app|main|renderer|models|e2e|bench)\/[\w./-]*?)\/?`/g)].map((m) => m[1]!.replace(/\/$/, '')))
    const missing = [...named].filter((p) => !p.includes('.') && !safeIsDir(path.join(root, p)))
    expect(missing, 'named in the README but not in the tree').toEqual([])
    const folders = [
      ...subdirs('main').map((d) => `main/${d}`),
      ...subdirs('main/datasets').map((d) => `main/datasets/${d}`),
      ...subdirs('renderer/src').map((d) => `renderer/src/${d}`),
      ...subdirs('renderer/src/features').map((d) => `renderer/src/features/${d}`),
      ...subdirs('app').map((d) => `app/${d}`),
    ]
    expect(folders.filter((f) => !named.has(f)), 'in the tree but not in the README map').toEqual([])
  })
})

function safeIsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function subdirs(rel: string): string[] {
  return readdirSync(path.join(root, rel)).filter((n) => !SKIP_DIRS.has(n) && !n.startsWith('.') && statSync(path.join(root, rel, n)).isDirectory())
}
