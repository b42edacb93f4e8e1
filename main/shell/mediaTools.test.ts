import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveMediaTools } from '../video/tools'
import { applyBundledMediaTools, builderOs, bundledMediaTools, installerPackages, stageMediaTools, stagingDir, toolFileNames } from './mediaTools'

const dir = mkdtempSync(path.join(os.tmpdir(), 'viva-tools-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('bundled ffmpeg', () => {
  it('names binaries per platform', () => {
    expect(toolFileNames('linux')).toEqual({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' })
    expect(toolFileNames('win32')).toEqual({ ffmpeg: 'ffmpeg.exe', ffprobe: 'ffprobe.exe' })
    expect(toolFileNames('win')).toEqual({ ffmpeg: 'ffmpeg.exe', ffprobe: 'ffprobe.exe' })
    expect([builderOs('darwin'), builderOs('win32'), builderOs('linux')]).toEqual(['mac', 'win', 'linux'])
    expect(installerPackages('mac', 'arm64')).toEqual({ ffmpeg: '@ffmpeg-installer/darwin-arm64', ffprobe: '@ffprobe-installer/darwin-arm64' })
    expect(stagingDir('/repo', 'linux', 'x64')).toBe(path.join('/repo', 'dist', 'ffmpeg', 'linux-x64'))
  })

  it('finds <resources>/ffmpeg/{ffmpeg,ffprobe} only when both are there', () => {
    const res = '/opt/ViVa Studio/resources'
    const both = new Set([path.join(res, 'ffmpeg', 'ffmpeg'), path.join(res, 'ffmpeg', 'ffprobe')])
    expect(bundledMediaTools(res, 'linux', (f) => both.has(f))).toEqual({ ffmpeg: path.join(res, 'ffmpeg', 'ffmpeg'), ffprobe: path.join(res, 'ffmpeg', 'ffprobe') })
    expect(bundledMediaTools(res, 'linux', (f) => f.endsWith('ffmpeg'))).toBeNull()
    expect(bundledMediaTools(undefined, 'linux', () => true)).toBeNull()
  })

  it('points VIVA_FFMPEG/VIVA_FFPROBE at them unless the user set them', () => {
    const tools = { ffmpeg: '/r/ffmpeg/ffmpeg', ffprobe: '/r/ffmpeg/ffprobe' }
    const env: NodeJS.ProcessEnv = {}
    expect(applyBundledMediaTools(env, tools)).toEqual(['VIVA_FFMPEG', 'VIVA_FFPROBE'])
    expect(env).toEqual({ VIVA_FFMPEG: tools.ffmpeg, VIVA_FFPROBE: tools.ffprobe })
    const mine: NodeJS.ProcessEnv = { VIVA_FFMPEG: '/usr/local/bin/ffmpeg' }
    expect(applyBundledMediaTools(mine, tools)).toEqual(['VIVA_FFPROBE'])
    expect(mine.VIVA_FFMPEG).toBe('/usr/local/bin/ffmpeg')
    expect(applyBundledMediaTools({}, null)).toEqual([])
  })

  it('stages binaries where electron-builder takes them, and the app resolves them', async () => {
    const src = path.join(dir, 'src')
    const fake = (name: string): string => {
      const file = path.join(dir, `${name}-src`)
      writeFileSync(file, '#!/bin/sh\nexit 0\n')
      return file
    }
    const staged = await stageMediaTools({ ffmpeg: fake('ffmpeg'), ffprobe: fake('ffprobe') }, path.join(dir, 'res', 'ffmpeg'), 'linux')
    expect(staged).toEqual({ ffmpeg: path.join(dir, 'res', 'ffmpeg', 'ffmpeg'), ffprobe: path.join(dir, 'res', 'ffmpeg', 'ffprobe') })
    expect(statSync(staged.ffmpeg).mode & 0o111).not.toBe(0)
    const found = bundledMediaTools(path.join(dir, 'res'), 'linux')
    expect(found).toEqual(staged)
    const env: NodeJS.ProcessEnv = {}
    applyBundledMediaTools(env, found)
    if (process.platform !== 'win32') expect(resolveMediaTools(env)).toEqual(staged) // runs `<tool> -version`
    await expect(stageMediaTools({ ffmpeg: path.join(src, 'nope'), ffprobe: path.join(src, 'nope') }, dir, 'linux')).rejects.toThrow(/not found/)
  })
})
