import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { VivaError } from '../../app/errors'
import { READ_LIMITS, readTextFile } from '../safeRead'

/**
 * Model packages: a folder with `viva-model.json` (schema in models/viva/README.md) and the ONNX graphs it names.
 * Only the fields the runner relies on are validated strictly; descriptive fields (provenance, metrics) pass through.
 */
export const MANIFEST_FILE = 'viva-model.json'

const dim = z.union([z.number().int().positive(), z.string().min(1)])
const tensorSpec = z.object({ name: z.string().min(1), shape: z.array(dim), dtype: z.enum(['float32', 'int64', 'uint8']) })
export type TensorSpec = z.infer<typeof tensorSpec>

const fileEntry = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  bytes: z.number().int().nonnegative().optional(),
  inputs: z.array(tensorSpec).optional(),
  outputs: z.array(tensorSpec).optional(),
})
export type FileEntry = z.infer<typeof fileEntry>

const finite = z.number().finite()

const common = {
  schema_version: z.literal(1),
  name: z.string().min(1).max(200),
  cameras: z
    .array(z.object({ slot: z.number().int().nonnegative(), name: z.string().min(1), frame_index: z.number().int().optional() }))
    .min(1)
    .max(16),
  image: z.object({
    height: z.number().int().min(8).max(4096),
    width: z.number().int().min(8).max(4096),
    channels: z.literal(3),
    layout: z.literal('NCHW'),
    channel_order: z.enum(['RGB', 'BGR']),
    normalization: z.object({ scale: finite, offset: finite }),
    /** The ffmpeg scaler frames are resized with; training data should have been made the same way. */
    scale_filter: z.enum(['area', 'bilinear', 'bicubic', 'lanczos', 'neighbor']).default('area'),
    /**
     * Optional: the size of the training videos' frames before they were resized to height × width. A dataset whose
     * frames have another aspect ratio is stretched differently than in training (a warning before scoring).
     */
    source: z.object({ width: z.number().int().positive().max(65_536), height: z.number().int().positive().max(65_536) }).optional(),
  }),
  state: z.object({
    dim: z.number().int().min(1).max(4096),
    names: z.array(z.string()),
    min: z.array(finite),
    max: z.array(finite),
    normalization: z.object({ eps: finite.nonnegative() }),
  }),
  K: z.number().int().nonnegative(),
  fps: z.number().positive(),
  value: z.object({ convention: z.enum(['progress', 'remaining']) }),
  tasks: z.record(z.string(), z.number().int().nonnegative()),
}

const vivaFlow = z.object({
  ...common,
  kind: z.literal('viva-flow'),
  files: z.object({ encoder: fileEntry, denoiser: fileEntry, reference: fileEntry.optional() }),
  latent: z.object({
    channels: z.number().int().positive(),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    num_frames: z.number().int().positive(),
    frame_order: z.array(z.string()),
    conditioning_frames: z.array(z.number().int().nonnegative()),
    target_frames: z.array(z.number().int().nonnegative()),
  }),
  scheduler: z.object({
    type: z.literal('flow_match_euler'),
    shift: finite.positive(),
    num_train_timesteps: z.number().int().positive(),
    default_steps: z.number().int().min(1).max(100),
    /**
     * How the value is read out (absent: one seeded noise draw per frame, the paper's sampler). `zero` starts the
     * target frames from zeros instead of noise (deterministic); `episode` draws the noise once per episode and uses
     * it for every frame of that episode, so consecutive frames differ only by what the model sees (at sigma = 1 the
     * ideal prediction does not depend on the noise, so per-frame noise only adds frame-to-frame jitter from model
     * error); `samples` > 1 averages the final target frames over that many seeded draws (the first one is the
     * single-draw noise); `antithetic` averages `samples` (even) draws in pairs (n, −n): each input is as likely as
     * the plain draw, and the part of the model's error that is linear in the noise cancels exactly within a pair
     * (antithetic variates, a standard Monte-Carlo variance reduction), so frame-to-frame jitter falls faster than
     * with independent draws at the same cost.
     */
    readout: z
      .object({ noise: z.enum(['sample', 'episode', 'zero', 'antithetic']), samples: z.number().int().min(1).max(64).optional() })
      .refine((r) => r.noise !== 'zero' || (r.samples ?? 1) === 1, { message: 'a zero-noise readout is deterministic: samples must be 1' })
      .refine((r) => r.noise !== 'antithetic' || (r.samples ?? 1) % 2 === 0, { message: 'an antithetic readout averages pairs (n, −n): samples must be even' })
      .optional(),
  }),
})

const direct = z.object({
  ...common,
  kind: z.literal('direct'),
  files: z.object({ model: fileEntry, reference: fileEntry.optional() }),
  direct: z.object({ bins: z.number().int().min(2).max(100_000) }).optional(),
})

const manifestSchema = z.discriminatedUnion('kind', [vivaFlow, direct])
export type Manifest = z.infer<typeof manifestSchema>
export type VivaFlowManifest = z.infer<typeof vivaFlow>
export type DirectManifest = z.infer<typeof direct>

/** The model's camera names in slot order: the order its image inputs take, and the one every mapping lists. */
export function cameraSlotNames(m: Pick<Manifest, 'cameras'>): string[] {
  return [...m.cameras].sort((a, b) => a.slot - b.slot).map((c) => c.name)
}

export interface ModelPackage {
  dir: string
  manifestFile: string
  manifest: Manifest
  /** Content id: sha256 over the manifest bytes and every file hash (first 16 hex digits). */
  id: string
  /** Absolute paths of the files by role. */
  files: Record<string, string>
}

function invalid(file: string, message: string): VivaError {
  return new VivaError('MODEL_INVALID', `${file}: ${message}`, file)
}

/** Cross-field rules zod's shape cannot say; returns problems, not exceptions, so all of them are reported. */
function semanticProblems(m: Manifest): string[] {
  const p: string[] = []
  const D = m.state.dim
  if (m.state.min.length !== D) p.push(`state.min has ${m.state.min.length} entries, state.dim is ${D}`)
  if (m.state.max.length !== D) p.push(`state.max has ${m.state.max.length} entries, state.dim is ${D}`)
  if (m.state.names.length !== 0 && m.state.names.length !== D) p.push(`state.names has ${m.state.names.length} entries, state.dim is ${D}`)
  m.state.min.forEach((lo, j) => {
    const hi = m.state.max[j]
    if (hi !== undefined && hi < lo) p.push(`state.max[${j}] (${hi}) is below state.min[${j}] (${lo})`)
  })
  const slots = m.cameras.map((c) => c.slot).sort((a, b) => a - b)
  if (slots.some((s, i) => s !== i)) p.push(`cameras[].slot must be 0..${m.cameras.length - 1}, got ${slots.join(', ')}`)
  if (new Set(m.cameras.map((c) => c.name)).size !== m.cameras.length) p.push('cameras[].name must be unique')
  if (m.kind === 'viva-flow') {
    const L = m.latent
    const expectedFrames = 2 + m.cameras.length + 2
    if (L.num_frames !== expectedFrames) {
      p.push(`latent.num_frames is ${L.num_frames}; a viva-flow sequence with ${m.cameras.length} cameras has ${expectedFrames}`)
    }
    const cond = Array.from({ length: L.num_frames - 2 }, (_, i) => i)
    if (L.conditioning_frames.join() !== cond.join()) p.push(`latent.conditioning_frames must be ${cond.join(', ')}`)
    if (L.target_frames.join() !== [L.num_frames - 2, L.num_frames - 1].join()) {
      p.push(`latent.target_frames must be ${L.num_frames - 2}, ${L.num_frames - 1} (future state, value)`)
    }
  }
  return p
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.slice(0, 8).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`)
}

/** Validate manifest text; throws MODEL_INVALID naming the file and every problem found. */
export function parseManifest(text: string, file: string): Manifest {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw invalid(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (typeof raw === 'object' && raw !== null && 'kind' in raw) {
    const kind = (raw as { kind: unknown }).kind
    if (kind !== 'viva-flow' && kind !== 'direct') {
      throw invalid(file, `kind ${JSON.stringify(kind)} is not supported (expected "viva-flow" or "direct")`)
    }
  }
  const parsed = manifestSchema.safeParse(raw)
  if (!parsed.success) throw invalid(file, `invalid manifest:\n  ${zodProblems(parsed.error).join('\n  ')}`)
  const problems = semanticProblems(parsed.data)
  if (problems.length > 0) throw invalid(file, `invalid manifest:\n  ${problems.join('\n  ')}`)
  return parsed.data
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A file named by the manifest must stay inside the package (no absolute paths, no `..`, no symlink out). */
async function resolveInside(dir: string, rel: string, manifestFile: string, role: string): Promise<string> {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
    throw invalid(manifestFile, `files.${role}.path "${rel}" must be a relative path inside the package folder`)
  }
  const abs = path.join(dir, rel)
  let real: string
  try {
    real = await realpath(abs)
  } catch {
    throw new VivaError('MODEL_INVALID', `${abs}: missing (files.${role} of ${manifestFile})`, abs)
  }
  const realDir = await realpath(dir)
  if (real !== realDir && !real.startsWith(realDir + path.sep)) {
    throw invalid(manifestFile, `files.${role}.path "${rel}" resolves outside the package folder`)
  }
  const st = await stat(real)
  if (!st.isFile()) throw new VivaError('MODEL_INVALID', `${abs}: not a file (files.${role} of ${manifestFile})`, abs)
  return real
}

/** Load and verify a package: manifest schema, files present inside the folder, sizes and sha256 hashes. */
export async function loadModelPackage(dirInput: string): Promise<ModelPackage> {
  const dir = path.resolve(dirInput)
  const manifestFile = path.join(dir, MANIFEST_FILE)
  let text: string
  try {
    text = await readTextFile(manifestFile, READ_LIMITS.manifest)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new VivaError('NOT_FOUND', `${dir} is not a model package: ${MANIFEST_FILE} not found`, manifestFile)
    }
    throw new VivaError('MODEL_INVALID', `${manifestFile}: cannot read (${(err as Error).message})`, manifestFile)
  }
  const manifest = parseManifest(text, manifestFile)
  const files: Record<string, string> = {}
  const hashes: string[] = []
  for (const [role, entry] of Object.entries(manifest.files) as [string, FileEntry | undefined][]) {
    if (!entry) continue
    const abs = await resolveInside(dir, entry.path, manifestFile, role)
    const st = await stat(abs)
    if (entry.bytes !== undefined && st.size !== entry.bytes) {
      throw new VivaError(
        'MODEL_INVALID',
        `${abs}: size ${st.size} bytes, the manifest says ${entry.bytes} (truncated or replaced file?)`,
        abs,
      )
    }
    const actual = await sha256File(abs)
    if (actual !== entry.sha256) {
      throw new VivaError('MODEL_INVALID', `${abs}: sha256 ${actual} does not match the manifest's ${entry.sha256}`, abs)
    }
    files[role] = abs
    hashes.push(`${role}:${actual}`)
  }
  const id = createHash('sha256').update(text).update(hashes.join('\n')).digest('hex').slice(0, 16)
  return { dir, manifestFile, manifest, id, files }
}
