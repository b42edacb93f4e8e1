import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MediaRoots, rangeReply } from './mediaFiles'

const base = mkdtempSync(path.join(os.tmpdir(), 'viva-media-'))
const root = path.join(base, 'dataset')
mkdirSync(path.join(root, 'videos'), { recursive: true })
writeFileSync(path.join(root, 'videos', 'a.mp4'), Buffer.from('0123456789'))
writeFileSync(path.join(base, 'secret.txt'), 'secret')
symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'videos', 'escape.mp4'))
symlinkSync(path.join(root, 'videos', 'a.mp4'), path.join(root, 'videos', 'inside.mp4'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

async function body(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (!stream) return ''
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer))
  return Buffer.concat(chunks).toString()
}

describe('MediaRoots', () => {
  const roots = new MediaRoots()
  roots.register('ds', root)

  it('resolves files inside the root, including symlinks that stay inside', async () => {
    expect(await roots.resolve('ds', 'videos/a.mp4')).toBe(path.join(root, 'videos', 'a.mp4'))
    expect(await roots.resolve('ds', 'videos/inside.mp4')).toBe(path.join(root, 'videos', 'a.mp4'))
  })

  it.each([
    ['../secret.txt'],
    ['videos/../../secret.txt'],
    ['videos\\..\\..\\secret.txt'],
    [path.join(base, 'secret.txt')],
    ['videos/escape.mp4'],
    ['videos/a.mp4\0.png'],
    ['videos'],
  ])('refuses %s', async (rel) => {
    await expect(roots.resolve('ds', rel)).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })

  it('refuses unknown roots and reports missing files as NOT_FOUND', async () => {
    await expect(roots.resolve('other', 'videos/a.mp4')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(roots.resolve('ds', 'videos/none.mp4')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('rangeReply', () => {
  const file = path.join(root, 'videos', 'a.mp4')
  it('serves whole files and single byte ranges', async () => {
    const all = await rangeReply(file, undefined)
    expect(all.status).toBe(200)
    expect(all.headers['Content-Type']).toBe('video/mp4')
    expect(await body(all.body)).toBe('0123456789')
    const mid = await rangeReply(file, 'bytes=2-4')
    expect(mid.status).toBe(206)
    expect(mid.headers['Content-Range']).toBe('bytes 2-4/10')
    expect(await body(mid.body)).toBe('234')
    const open = await rangeReply(file, 'bytes=7-')
    expect(await body(open.body)).toBe('789')
    const suffix = await rangeReply(file, 'bytes=-3')
    expect(await body(suffix.body)).toBe('789')
    const clamp = await rangeReply(file, 'bytes=8-100')
    expect(clamp.headers['Content-Range']).toBe('bytes 8-9/10')
  })
  it('answers 416 to unsatisfiable or malformed ranges', async () => {
    for (const r of ['bytes=10-', 'bytes=5-2', 'bytes=abc', 'items=0-1', 'bytes=-']) {
      const reply = await rangeReply(file, r)
      expect(reply.status, r).toBe(416)
      expect(reply.headers['Content-Range']).toBe('bytes */10')
    }
  })
})
