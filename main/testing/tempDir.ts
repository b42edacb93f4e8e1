import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

/** A fresh temporary folder for the calling test file (handed to `set` before its tests), removed after them. */
export function tempDirHooks(prefix: string, set: (dir: string) => void): void {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix))
    set(dir)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
}
