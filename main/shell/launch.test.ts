import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyLaunchPath, classifyLaunchPaths, exportFormatForPath, launchPaths } from './launch'

describe('launchPaths', () => {
  it('drops the executable and switches', () => {
    expect(launchPaths(['/opt/ViVa Studio/viva-studio', '--no-sandbox', '/data/ds'], false)).toEqual(['/data/ds'])
    expect(launchPaths(['/Applications/ViVa Studio.app/Contents/MacOS/ViVa Studio', '-psn_0_12345'], false)).toEqual([])
    expect(launchPaths(['viva-studio.exe', '--original-process-start-time=1', 'C:\\data\\ds', 'D:\\models\\m\\viva-model.json'], false)).toEqual([
      'C:\\data\\ds',
      'D:\\models\\m\\viva-model.json',
    ])
  })

  it('drops the app folder when run as `electron <app>` (Playwright puts its switches first)', () => {
    expect(launchPaths(['/x/electron', '.', '/data/ds'], true)).toEqual(['/data/ds'])
    expect(launchPaths(['/x/electron', '--inspect=0', '--remote-debugging-port=0', '.', '/data/ds'], true)).toEqual(['/data/ds'])
    expect(launchPaths(['/x/electron', '.'], true)).toEqual([])
  })

  it('leaves viva:// links to deepLink.ts (Windows and Linux hand them as arguments)', () => {
    expect(launchPaths(['viva-studio.exe', 'viva://open/dataset/abc/episode/1'], false)).toEqual([])
    expect(launchPaths(['/x/electron', '.', 'VIVA://open/dataset/abc', '/data/ds'], true)).toEqual(['/data/ds'])
  })
})

describe('classifyLaunchPath', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'viva-launch-'))
    mkdirSync(path.join(dir, 'dataset', 'meta'), { recursive: true })
    mkdirSync(path.join(dir, 'model'))
    writeFileSync(path.join(dir, 'model', 'viva-model.json'), '{}')
    writeFileSync(path.join(dir, 'notes.json'), '{}')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('opens folders as datasets and manifests (or their folders) as models', async () => {
    expect(await classifyLaunchPath(path.join(dir, 'dataset'), '/')).toEqual({ kind: 'dataset', root: path.join(dir, 'dataset') })
    expect(await classifyLaunchPath(path.join(dir, 'model', 'viva-model.json'), '/')).toEqual({ kind: 'model', folder: path.join(dir, 'model') })
    expect(await classifyLaunchPath(path.join(dir, 'model'), '/')).toEqual({ kind: 'model', folder: path.join(dir, 'model') })
  })

  it('resolves relative paths against the launching working directory', async () => {
    expect(await classifyLaunchPaths(['dataset', 'model/viva-model.json'], dir)).toEqual([
      { kind: 'dataset', root: path.join(dir, 'dataset') },
      { kind: 'model', folder: path.join(dir, 'model') },
    ])
  })

  it('says why anything else cannot be opened', async () => {
    expect(await classifyLaunchPath('notes.json', dir)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('viva-model.json') })
    expect(await classifyLaunchPath('missing', dir)).toEqual({ kind: 'invalid', path: path.join(dir, 'missing'), reason: 'does not exist' })
  })
})

describe('exportFormatForPath', () => {
  it('follows the extension, JSON by default', () => {
    expect(exportFormatForPath('/out/a.csv')).toEqual({ format: 'csv', path: '/out/a.csv' })
    expect(exportFormatForPath('/out/a.CSV')).toEqual({ format: 'csv', path: '/out/a.CSV' })
    expect(exportFormatForPath('/out/a.json')).toEqual({ format: 'json', path: '/out/a.json' })
    expect(exportFormatForPath('/out/a')).toEqual({ format: 'json', path: '/out/a.json' })
  })
})
