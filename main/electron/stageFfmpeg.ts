// Release step: put ffmpeg + ffprobe for one target where electron-builder.yml's extraResources takes them
// (dist/ffmpeg/<os>-<arch>/ → <resources>/ffmpeg/). Run before `npx electron-builder` for that target:
//
//   npm i --no-save @ffmpeg-installer/linux-x64 @ffprobe-installer/linux-x64   # static builds from npm
//   npx tsx main/electron/stageFfmpeg.ts --os linux --arch x64
//   npx tsx main/electron/stageFfmpeg.ts --ffmpeg /usr/bin/ffmpeg --ffprobe /usr/bin/ffprobe   # or any binaries
//
// Without --ffmpeg/--ffprobe it takes them from the @ffmpeg-installer / @ffprobe-installer package of the target,
// else (target = this machine) from PATH.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { PACKAGE_ROOT } from '../paths'
import { builderOs, installerPackages, stageMediaTools, stagingDir, toolFileNames, type BuilderOs } from '../shell/mediaTools'

const { values } = parseArgs({
  options: {
    os: { type: 'string', default: builderOs(process.platform) },
    arch: { type: 'string', default: process.arch },
    ffmpeg: { type: 'string' },
    ffprobe: { type: 'string' },
  },
})
const os = values.os as BuilderOs
if (!['linux', 'mac', 'win'].includes(os)) throw new Error(`--os must be linux, mac or win (got ${os})`)
const arch = values.arch
const names = toolFileNames(os)
const require = createRequire(import.meta.url)

function fromPackage(pkg: string, file: string): string | null {
  try {
    const candidate = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file)
    return existsSync(candidate) ? candidate : null
  } catch {
    return null
  }
}

function fromPath(file: string): string | null {
  if (os !== builderOs(process.platform) || arch !== process.arch) return null
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, file)
    if (dir && existsSync(candidate)) return candidate
  }
  return null
}

const packages = installerPackages(os, arch)
const ffmpeg = values.ffmpeg ?? fromPackage(packages.ffmpeg, names.ffmpeg) ?? fromPath(names.ffmpeg)
const ffprobe = values.ffprobe ?? fromPackage(packages.ffprobe, names.ffprobe) ?? fromPath(names.ffprobe)
if (!ffmpeg || !ffprobe) {
  console.error(
    `No ffmpeg/ffprobe for ${os}-${arch}: pass --ffmpeg and --ffprobe, or run\n  npm i --no-save ${packages.ffmpeg} ${packages.ffprobe}`,
  )
  process.exit(1)
}
const staged = await stageMediaTools({ ffmpeg, ffprobe }, stagingDir(PACKAGE_ROOT, os, arch), os)
console.warn(`staged ${staged.ffmpeg}\nstaged ${staged.ffprobe}`)
