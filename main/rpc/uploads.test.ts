import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_UPLOAD_BYTES } from '../../app/contract'
import { DEFAULT_UPLOAD_LIMITS, UploadStore } from './uploads'

const limits = { ...DEFAULT_UPLOAD_LIMITS, maxBytes: 100, maxPerSession: 2, maxTotalBytes: 250, chunkBytes: 10, idleMs: 60_000 }
const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)

afterEach(() => {
  vi.useRealTimers()
})

describe('uploads', () => {
  it('assembles chunks sent in order into the file and its UTF-8 text', () => {
    const session = new UploadStore(limits).session()
    const text = '\uFEFF{"a": "ünï"}'
    const data = new TextEncoder().encode(text)
    const { uploadId, chunkBytes } = session.begin('a.json', data.byteLength)
    expect(chunkBytes).toBe(10)
    for (let at = 0; at < data.byteLength; at += chunkBytes) session.append(uploadId, at, data.subarray(at, at + chunkBytes))
    // As File.text() reads it: the byte order mark dropped.
    expect(session.text(uploadId)).toBe('{"a": "ünï"}')
    expect(Array.from(session.bytes(uploadId))).toEqual(Array.from(data))
  })

  it('refuses a file over the size limit before any byte is sent, naming the file and the limit', () => {
    const session = new UploadStore().session()
    expect(() => session.begin('huge.json', 90 * 1000 * 1000)).toThrow(/"huge\.json" is 85\.8 MB; files sent to ViVa Studio are limited to 64\.0 MB/)
    expect(MAX_UPLOAD_BYTES).toBe(64 * 1024 * 1024)
  })

  it('refuses gaps, repeats and bytes beyond the announced size, and an incomplete file', () => {
    const session = new UploadStore(limits).session()
    const { uploadId } = session.begin('x', 20)
    session.append(uploadId, 0, bytes(10))
    expect(() => session.append(uploadId, 0, bytes(10))).toThrow(/expected the bytes at offset 10, got offset 0/)
    expect(() => session.append(uploadId, 15, bytes(5))).toThrow(/offset 10, got offset 15/)
    expect(() => session.text(uploadId)).toThrow(/incomplete: 10 of 20 bytes/)
    expect(() => session.append(uploadId, 10, bytes(11))).toThrow(/more bytes than the 20 announced/)
    expect(() => session.text('nope')).toThrow(/No upload nope/)
  })

  it('limits uploads per connection and bytes across connections, and frees them on discard and close', () => {
    const store = new UploadStore(limits)
    const a = store.session()
    const b = store.session()
    const first = a.begin('1', 100)
    a.begin('2', 100)
    expect(() => a.begin('3', 1)).toThrow(/at most 2/)
    // 200 of 250 reserved by declared sizes: another 100 does not fit, whoever asks.
    expect(() => b.begin('4', 100)).toThrow(/too many uploaded files \(0\.0 MB in all\)/)
    expect(store.heldBytes).toBe(200)
    expect(a.discard(first.uploadId)).toBe(true)
    expect(a.discard(first.uploadId)).toBe(false)
    b.begin('4', 100)
    a.close()
    expect(store.heldBytes).toBe(100)
    expect(() => a.begin('5', 1)).toThrow(/closing/)
    b.close()
    expect(store.heldBytes).toBe(0)
  })

  it('frees an upload left unused for the idle time', () => {
    vi.useFakeTimers()
    const store = new UploadStore(limits)
    const session = store.session()
    const { uploadId } = session.begin('x', 20)
    vi.advanceTimersByTime(limits.idleMs - 1)
    // Each chunk restarts the clock.
    session.append(uploadId, 0, bytes(10))
    vi.advanceTimersByTime(limits.idleMs - 1)
    expect(session.count).toBe(1)
    vi.advanceTimersByTime(1)
    expect(session.count).toBe(0)
    expect(store.heldBytes).toBe(0)
    expect(() => session.append(uploadId, 10, bytes(10))).toThrow(/No upload/)
  })
})
