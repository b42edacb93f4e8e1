import { stat } from 'node:fs/promises'
import path from 'node:path'
import { writePatternDataset } from './datasets/patternDataset'

/** Bumped whenever the demo content changes, so old copies are not reused. */
const DEMO_VERSION = 1

/**
 * The built-in demo: a generated 3-camera dataset (written once into the data folder; no binaries ship in the
 * repository). Every frame shows its own number, so it doubles as a check that playback is frame-accurate.
 */
export async function ensureDemoDataset(dataDir: string): Promise<string> {
  const root = path.join(dataDir, 'demo', `pattern-v${DEMO_VERSION}`)
  if (await stat(path.join(root, 'meta', 'info.json')).then(() => true, () => false)) return root
  const staging = `${root}.${process.pid}.tmp`
  await writePatternDataset({
    out: staging,
    format: 'v2.1',
    lengths: [240, 180, 300, 150],
    fps: 30,
    tasks: ['demo: fold the towel', 'demo: place the cup in the box'],
    seed: 7,
  })
  const { rename } = await import('node:fs/promises')
  await rename(staging, root)
  return root
}
