import { copyFile, mkdir, mkdtemp, readFile, realpath, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejected } from '../../app/testing/thrown'
import { PACKAGE_ROOT } from '../paths'
import { loadModelPackage, MANIFEST_FILE, parseManifest } from './manifest'

// Every way a package can be broken must be refused with a code, a message that says what is wrong, and the file.
const VIVA = path.join(PACKAGE_ROOT, 'models', 'viva-reference')
const BASELINE = path.join(PACKAGE_ROOT, 'models', 'baseline-reference')

type Json = Record<string, unknown>
// Manifests are edited as plain JSON: the tests write things the types would not allow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any

let tmp = ''
let counter = 0
beforeAll(async () => {
  // realpath: errors name resolved paths, and os.tmpdir() may itself be a symlink on some systems.
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'viva-manifest-')))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** A fresh copy of a bundled package (the manifest and the files it names), in its own temp folder. */
async function copyPackage(src: string = VIVA): Promise<string> {
  const dir = path.join(tmp, `pkg-${++counter}`)
  await mkdir(dir, { recursive: true })
  const text = await readFile(path.join(src, MANIFEST_FILE), 'utf8')
  const m = JSON.parse(text) as { files: Record<string, { path: string }> }
  for (const entry of Object.values(m.files)) await copyFile(path.join(src, entry.path), path.join(dir, entry.path))
  await writeFile(path.join(dir, MANIFEST_FILE), text)
  return dir
}

async function readManifest(dir: string): Promise<Loose> {
  return JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as Json
}

async function editManifest(dir: string, edit: (m: Loose) => void): Promise<string> {
  const m = await readManifest(dir)
  edit(m)
  const file = path.join(dir, MANIFEST_FILE)
  await writeFile(file, `${JSON.stringify(m, null, 2)}\n`)
  return file
}

/** Asserts MODEL_INVALID about the manifest itself and returns the message. */
async function manifestProblem(dir: string): Promise<string> {
  const err = await rejected(() => loadModelPackage(dir))
  const manifestFile = path.join(dir, MANIFEST_FILE)
  expect(err.code).toBe('MODEL_INVALID')
  expect(err.file).toBe(manifestFile)
  expect(err.message.startsWith(`${manifestFile}: `)).toBe(true)
  return err.message
}

describe('a valid package', () => {
  it('loads with every file resolved inside the folder and a 16-hex-digit content id', async () => {
    const dir = await copyPackage(VIVA)
    const pkg = await loadModelPackage(dir)
    expect(pkg.dir).toBe(dir)
    expect(pkg.manifestFile).toBe(path.join(dir, MANIFEST_FILE))
    expect(pkg.manifest.kind).toBe('viva-flow')
    expect(pkg.id).toMatch(/^[0-9a-f]{16}$/)
    expect(Object.keys(pkg.files).sort()).toEqual(['denoiser', 'encoder', 'reference'])
    for (const f of Object.values(pkg.files)) expect(path.dirname(f)).toBe(dir)

    const direct = await loadModelPackage(await copyPackage(BASELINE))
    expect(direct.manifest.kind).toBe('direct')
    expect(Object.keys(direct.files).sort()).toEqual(['model', 'reference'])
  })

  it('has a stable id: same content → same id wherever it lies; a manifest change → another id', async () => {
    const bundled = await loadModelPackage(VIVA)
    const dir = await copyPackage(VIVA)
    const a = await loadModelPackage(dir)
    expect(a.id).toBe(bundled.id)
    expect((await loadModelPackage(dir)).id).toBe(a.id)

    // Files the manifest does not name are not part of the model.
    await writeFile(path.join(dir, 'NOTES.md'), 'not part of the model\n')
    expect((await loadModelPackage(dir)).id).toBe(a.id)

    const original = await readFile(path.join(dir, MANIFEST_FILE))
    await editManifest(dir, (m) => {
      m.name = 'viva-renamed'
    })
    const renamed = await loadModelPackage(dir)
    expect(renamed.manifest.name).toBe('viva-renamed')
    expect(renamed.id).not.toBe(a.id)

    await editManifest(dir, (m) => {
      m.name = 'viva-reference'
      m.scheduler.default_steps = 4
    })
    const steps = await loadModelPackage(dir)
    expect(steps.id).not.toBe(a.id)
    expect(steps.id).not.toBe(renamed.id)

    await writeFile(path.join(dir, MANIFEST_FILE), original)
    expect((await loadModelPackage(dir)).id).toBe(a.id)
  })

  it('may reach its files through a symlink that stays inside the package', async () => {
    const dir = await copyPackage(VIVA)
    await mkdir(path.join(dir, 'graphs'))
    await rename(path.join(dir, 'encoder.onnx'), path.join(dir, 'graphs', 'encoder.onnx'))
    await symlink(path.join('graphs', 'encoder.onnx'), path.join(dir, 'encoder.onnx'))
    const pkg = await loadModelPackage(dir)
    expect(pkg.files.encoder).toBe(path.join(dir, 'graphs', 'encoder.onnx'))
  })
})

describe('a broken manifest → MODEL_INVALID naming viva-model.json', () => {
  it('invalid JSON', async () => {
    const dir = await copyPackage(BASELINE)
    await writeFile(path.join(dir, MANIFEST_FILE), '{ "schema_version": 1, "kind": "direct",\n')
    expect(await manifestProblem(dir)).toMatch(/not valid JSON/)
  })

  it('a kind the runtime does not know', async () => {
    const dir = await copyPackage(BASELINE)
    await editManifest(dir, (m) => {
      m.kind = 'video-diffusion'
    })
    const message = await manifestProblem(dir)
    expect(message).toContain('kind "video-diffusion" is not supported')
    expect(message).toContain('"viva-flow" or "direct"')
  })

  it('a missing required field, with its path', async () => {
    const dir = await copyPackage(VIVA)
    await editManifest(dir, (m) => {
      delete m.state.max
    })
    expect(await manifestProblem(dir)).toMatch(/state\.max: /)

    await editManifest(dir, (m) => {
      m.state.max = m.state.min.map(() => 1)
      delete m.scheduler.shift
      delete m.files.encoder.sha256
    })
    const message = await manifestProblem(dir)
    expect(message).toMatch(/scheduler\.shift: /)
    expect(message).toMatch(/files\.encoder\.sha256: /)

    const noKind = await copyPackage(BASELINE)
    await editManifest(noKind, (m) => {
      delete m.kind
    })
    expect(await manifestProblem(noKind)).toMatch(/kind: /)
  })

  it('a value outside an enumeration, with its path', async () => {
    const dir = await copyPackage(BASELINE)
    await editManifest(dir, (m) => {
      m.image.scale_filter = 'fancy'
      m.image.layout = 'NHWC'
    })
    const message = await manifestProblem(dir)
    expect(message).toMatch(/image\.scale_filter: /)
    expect(message).toMatch(/image\.layout: /)
  })

  it('state.min / state.max / state.names lengths that disagree with state.dim', async () => {
    const dir = await copyPackage(VIVA)
    await editManifest(dir, (m) => {
      m.state.min.pop()
    })
    const message = await manifestProblem(dir)
    expect(message).toContain('state.min has 13 entries, state.dim is 14')
    expect(message).not.toContain('state.max has')

    await editManifest(dir, (m) => {
      m.state.min.push(0)
      m.state.max.push(1, 2)
      m.state.names = ['a']
    })
    const both = await manifestProblem(dir)
    expect(both).toContain('state.max has 16 entries, state.dim is 14')
    expect(both).toContain('state.names has 1 entries, state.dim is 14')
  })

  it('camera slots that are not 0..n-1', async () => {
    const dir = await copyPackage(VIVA)
    await editManifest(dir, (m) => {
      m.cameras[2].slot = 3
    })
    expect(await manifestProblem(dir)).toContain('cameras[].slot must be 0..2, got 0, 1, 3')

    await editManifest(dir, (m) => {
      m.cameras[2].slot = 1
    })
    expect(await manifestProblem(dir)).toContain('cameras[].slot must be 0..2, got 0, 1, 1')

    await editManifest(dir, (m) => {
      m.cameras[2].slot = 2
      m.cameras[2].name = m.cameras[0].name
    })
    expect(await manifestProblem(dir)).toContain('cameras[].name must be unique')
  })

  it('latent.num_frames inconsistent with the cameras (viva-flow)', async () => {
    const dir = await copyPackage(VIVA)
    await editManifest(dir, (m) => {
      m.latent.num_frames = 8
    })
    const message = await manifestProblem(dir)
    expect(message).toContain('latent.num_frames is 8; a viva-flow sequence with 3 cameras has 7')

    await editManifest(dir, (m) => {
      m.latent.num_frames = 7
      m.latent.target_frames = [6, 5]
    })
    expect(await manifestProblem(dir)).toContain('latent.target_frames must be 5, 6')
  })

  it('parseManifest reports several problems at once', () => {
    const text = JSON.stringify({ schema_version: 2, kind: 'direct' })
    try {
      parseManifest(text, '/x/viva-model.json')
      expect.unreachable()
    } catch (err) {
      const message = (err as Error).message
      expect(message).toMatch(/^\/x\/viva-model\.json: invalid manifest:/)
      expect(message).toMatch(/schema_version: /)
      expect(message).toMatch(/name: /)
    }
  })
})

describe('files outside the package → MODEL_INVALID naming viva-model.json', () => {
  it('a path with ..', async () => {
    const dir = await copyPackage(VIVA)
    const rel = `../${path.basename(dir)}/encoder.onnx`
    await editManifest(dir, (m) => {
      m.files.encoder.path = rel
    })
    expect(await manifestProblem(dir)).toContain(`files.encoder.path "${rel}" must be a relative path inside the package folder`)

    await editManifest(dir, (m) => {
      m.files.encoder.path = 'sub/../encoder.onnx'
    })
    expect(await manifestProblem(dir)).toContain('files.encoder.path "sub/../encoder.onnx" must be a relative path')
  })

  it('an absolute path, even to a file inside the package', async () => {
    const dir = await copyPackage(VIVA)
    const abs = path.join(dir, 'denoiser.onnx')
    await editManifest(dir, (m) => {
      m.files.denoiser.path = abs
    })
    expect(await manifestProblem(dir)).toContain(`files.denoiser.path "${abs}" must be a relative path inside the package folder`)
  })

  it('a symlink that points outside the package', async () => {
    const dir = await copyPackage(VIVA)
    const outside = path.join(tmp, `outside-${counter}.onnx`)
    await rename(path.join(dir, 'encoder.onnx'), outside)
    await symlink(outside, path.join(dir, 'encoder.onnx'))
    expect(await manifestProblem(dir)).toContain('files.encoder.path "encoder.onnx" resolves outside the package folder')

    // A symlinked package folder is fine: only the target's place relative to the real folder counts.
    const linkedDir = path.join(tmp, `linked-${counter}`)
    const good = await copyPackage(VIVA)
    await symlink(good, linkedDir)
    const pkg = await loadModelPackage(linkedDir)
    expect(pkg.files.encoder).toBe(path.join(good, 'encoder.onnx'))
  })
})

describe('broken files → MODEL_INVALID naming the file', () => {
  it('a missing .onnx file', async () => {
    const dir = await copyPackage(VIVA)
    const file = path.join(dir, 'denoiser.onnx')
    await rm(file)
    const err = await rejected(() => loadModelPackage(dir))
    expect(err.code).toBe('MODEL_INVALID')
    expect(err.file).toBe(file)
    expect(err.message).toBe(`${file}: missing (files.denoiser of ${path.join(dir, MANIFEST_FILE)})`)
  })

  it('a truncated .onnx file (size mismatch)', async () => {
    const dir = await copyPackage(VIVA)
    const file = path.join(dir, 'encoder.onnx')
    const m = await readManifest(dir)
    const bytes = m.files.encoder.bytes as number
    await truncate(file, 1000)
    const err = await rejected(() => loadModelPackage(dir))
    expect(err.code).toBe('MODEL_INVALID')
    expect(err.file).toBe(file)
    expect(err.message).toContain(`${file}: size 1000 bytes, the manifest says ${bytes}`)
    expect(err.message).toMatch(/truncated/)
  })

  it('a file of the right size with altered bytes (sha256 mismatch)', async () => {
    const dir = await copyPackage(BASELINE)
    const file = path.join(dir, 'baseline.onnx')
    const data = await readFile(file)
    const at = Math.floor(data.length / 2)
    data[at] = (data[at] as number) ^ 0x01
    await writeFile(file, data)
    const m = await readManifest(dir)
    const err = await rejected(() => loadModelPackage(dir))
    expect(err.code).toBe('MODEL_INVALID')
    expect(err.file).toBe(file)
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: sha256 [0-9a-f]{64} does not match the manifest's ${m.files.model.sha256}$`))
  })

  it('a named file that is a folder', async () => {
    const dir = await copyPackage(BASELINE)
    const file = path.join(dir, 'reference.json')
    await rm(file)
    await mkdir(file)
    const err = await rejected(() => loadModelPackage(dir))
    expect(err.code).toBe('MODEL_INVALID')
    expect(err.file).toBe(file)
    expect(err.message).toContain('not a file (files.reference of')
  })
})

describe('not a package → NOT_FOUND', () => {
  it('a folder without viva-model.json', async () => {
    const dir = await copyPackage(BASELINE)
    await rm(path.join(dir, MANIFEST_FILE))
    const err = await rejected(() => loadModelPackage(dir))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.file).toBe(path.join(dir, MANIFEST_FILE))
    expect(err.message).toBe(`${dir} is not a model package: viva-model.json not found`)
  })

  it('a folder that does not exist, or a file instead of a folder', async () => {
    const missing = path.join(tmp, 'no-such-folder')
    const err = await rejected(() => loadModelPackage(missing))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.message).toContain(missing)

    const file = path.join(tmp, 'plain-file.onnx')
    await writeFile(file, 'x')
    expect((await rejected(() => loadModelPackage(file))).code).toBe('NOT_FOUND')
  })
})
