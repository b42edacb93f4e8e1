// electron-builder.yml cannot be exercised here (packaging needs the Electron binary), so its promises are checked
// as data: targets, what goes into the asar and what stays unpacked, ffmpeg per platform, icons, associations.
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { VIVA_SCHEME } from '../../app/location'
import { PACKAGE_ROOT } from '../paths'
import { MEDIA_TOOLS_RESOURCE_DIR, stagingDir, toolFileNames, type BuilderOs } from '../shell/mediaTools'

interface FileSet {
  from: string
  to: string
  filter?: string[]
}
interface PlatformConfig {
  target: string[]
  extraResources?: FileSet[]
  fileAssociations?: { ext: string; name: string; role?: string; rank?: string }[]
  mimeTypes?: string[]
}
interface BuilderConfig {
  appId: string
  productName: string
  icon: string
  directories: { output: string; buildResources: string }
  files: string[]
  asar: boolean
  asarUnpack: string[]
  extraMetadata: { main: string }
  protocols: { name: string; schemes: string[]; role?: string }[]
  linux: PlatformConfig
  mac: PlatformConfig
  win: PlatformConfig
}

const config = parse(readFileSync(path.join(PACKAGE_ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig
const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> }

describe('electron-builder.yml', () => {
  it('identifies the app', () => {
    expect(config.appId).toBe('org.viva-studio.app')
    expect(config.productName).toBe('ViVa Studio')
  })

  it('builds AppImage + deb, dmg and nsis', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.target).toEqual(['dmg'])
    expect(config.win.target).toEqual(['nsis'])
  })

  it('packages the built shell and renderer and the bundled models; starts the bundled main', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist/electron/**', 'dist/renderer/**', 'package.json', 'models/viva-reference/**', 'models/baseline-reference/**']))
    expect(config.files.some((f) => f.startsWith('dist/ffmpeg') || f === 'dist/**')).toBe(false) // ffmpeg goes to resources, not the asar
    expect(config.extraMetadata.main).toBe(pkg.main)
    expect(pkg.main).toBe('dist/electron/main.cjs')
    expect(readFileSync(path.join(PACKAGE_ROOT, 'main', 'electron', 'build.mjs'), 'utf8')).toContain(`outfile: '${pkg.main}'`)
    for (const model of ['viva-reference', 'baseline-reference']) {
      expect(existsSync(path.join(PACKAGE_ROOT, 'models', model, 'viva-model.json'))).toBe(true)
    }
  })

  it('unpacks native modules and model files from the asar', () => {
    expect(config.asar).toBe(true)
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', 'node_modules/better-sqlite3/**', 'node_modules/onnxruntime-node/**', 'models/**']))
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['better-sqlite3', 'onnxruntime-node']))
    // compose.ts looks for bundled models in app.asar.unpacked
    expect(readFileSync(path.join(PACKAGE_ROOT, 'main', 'compose.ts'), 'utf8')).toContain("'app.asar.unpacked'")
  })

  it.each([
    ['linux', 'x64'],
    ['mac', 'arm64'],
    ['win', 'x64'],
  ] as const)('ships ffmpeg + ffprobe for %s as <resources>/ffmpeg, from the staging folder', (os: BuilderOs, arch) => {
    const extra = config[os].extraResources ?? []
    expect(extra).toHaveLength(1)
    const [set] = extra as [FileSet]
    expect(set.to).toBe(MEDIA_TOOLS_RESOURCE_DIR)
    expect(path.join(PACKAGE_ROOT, set.from.replace('${arch}', arch))).toBe(stagingDir(PACKAGE_ROOT, os, arch))
    const names = toolFileNames(os)
    expect(set.filter).toEqual([names.ffmpeg, names.ffprobe])
  })

  it('has a 512×512 PNG icon under 50 KB', () => {
    const icon = path.join(PACKAGE_ROOT, config.icon)
    expect(path.dirname(icon)).toBe(path.join(PACKAGE_ROOT, config.directories.buildResources))
    const png = readFileSync(icon)
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR')
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512])
    expect(statSync(icon).size).toBeLessThan(50 * 1024)
  })

  it('associates model manifests (viva-model.json) without taking over JSON files', () => {
    expect(config.mac.fileAssociations).toEqual([expect.objectContaining({ ext: 'json', role: 'Viewer', rank: 'Alternate' })])
    expect(config.linux.mimeTypes).toEqual(['application/json'])
    expect(config.linux.fileAssociations).toBeUndefined() // would write a *.json MIME glob
    expect(config.win.fileAssociations).toBeUndefined() // NSIS would make the app the default for .json
  })

  it('declares the viva:// scheme the shell handles (deep links)', () => {
    expect(config.protocols).toEqual([expect.objectContaining({ schemes: [VIVA_SCHEME], role: 'Viewer' })])
  })

  it('writes releases under dist/, which git ignores', () => {
    expect(config.directories.output).toBe('dist/release')
    expect(readFileSync(path.join(PACKAGE_ROOT, '.gitignore'), 'utf8').split('\n')).toContain('dist/')
  })
})
