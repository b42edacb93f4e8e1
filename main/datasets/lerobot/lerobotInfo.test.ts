import { describe, expect, it } from 'vitest'
import { VivaError } from '../../../app/errors'
import { fitNames, flattenNames, parseInfo, staysInside } from './lerobotInfo'

function info(overrides: Record<string, unknown> = {}, features: Record<string, unknown> = {}): string {
  return JSON.stringify({
    codebase_version: 'v2.1',
    robot_type: 'aloha',
    fps: 30,
    chunks_size: 1000,
    data_path: 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet',
    video_path: 'videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4',
    features: {
      'observation.state': { dtype: 'float32', shape: [3], names: ['a', 'b', 'c'] },
      ...features,
    },
    ...overrides,
  })
}

function invalid(text: string): VivaError {
  try {
    parseInfo(text, null)
  } catch (err) {
    if (err instanceof VivaError) return err
    throw err
  }
  throw new Error('expected parseInfo to throw')
}

describe('parseInfo', () => {
  it('reads camera metadata under `info` and under `video_info`', () => {
    const parsed = parseInfo(
      info({}, {
        'observation.images.top': {
          dtype: 'video',
          shape: [480, 640, 3],
          names: ['height', 'width', 'channel'],
          info: { 'video.codec': 'av1', 'video.height': 480, 'video.width': 640, 'video.fps': 30 },
        },
        'observation.images.wrist': {
          dtype: 'video',
          shape: [3, 240, 320],
          names: ['channels', 'height', 'width'],
          video_info: { 'video.codec': 'h264', 'video.fps': 15.0 },
        },
        'observation.images.raw': { dtype: 'image', shape: [96, 128, 3] },
      }),
      null,
    )
    expect(parsed.cameras).toEqual([
      { key: 'observation.images.top', dtype: 'video', declaredCodec: 'av1', width: 640, height: 480, fps: 30 },
      // No video.width/height under video_info: the resolution comes from shape, whose names say CHW.
      { key: 'observation.images.wrist', dtype: 'video', declaredCodec: 'h264', width: 320, height: 240, fps: 15 },
      { key: 'observation.images.raw', dtype: 'image', declaredCodec: null, width: 128, height: 96, fps: 30 },
    ])
    expect(parsed.warnings).toEqual([])
  })

  it('maps codebase versions, and reads unknown ones best effort with a warning', () => {
    expect(parseInfo(info({ codebase_version: 'v2.0' }), null).format).toBe('v2.0')
    expect(parseInfo(info({ codebase_version: 'v3.0' }), null).format).toBe('v3.0')
    const future = parseInfo(info({ codebase_version: 'v2.5' }), null)
    expect(future.format).toBe('v2.1')
    expect(future.warnings.map((w) => w.code)).toEqual(['FORMAT_UNKNOWN'])
    expect(future.warnings[0]?.message).toContain('"v2.5"')
    const none = parseInfo(info({ codebase_version: undefined }), 'v3')
    expect(none.format).toBe('v3.0')
    expect(none.warnings[0]?.message).toContain('no codebase_version')
  })

  it('coerces numeric strings and defaults what is missing, with warnings', () => {
    const parsed = parseInfo(info({ fps: '20', chunks_size: undefined, data_path: undefined, video_path: undefined }, {
      'observation.images.top': { dtype: 'video', shape: [64, 64, 3] },
    }), null)
    expect(parsed.fps).toBe(20)
    expect(parsed.chunksSize).toBe(1000)
    expect(parsed.dataPath).toBe('data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet')
    expect(parsed.videoPath).toBe('videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4')
    expect(parsed.warnings.map((w) => w.code)).toEqual(['PATH_TEMPLATE_MISSING', 'PATH_TEMPLATE_MISSING'])
  })

  it('ignores a malformed feature with a warning instead of failing', () => {
    const parsed = parseInfo(info({}, { broken: { shape: 'nope' } }), null)
    expect(parsed.warnings.map((w) => w.code)).toEqual(['FEATURE_INVALID'])
    expect(parsed.warnings[0]?.message).toContain('"broken"')
    expect(parsed.state?.dim).toBe(3)
  })

  it('rejects non-JSON, non-objects and wrongly typed core fields, naming meta/info.json and the field', () => {
    const notJson = invalid('{"fps": 30,')
    expect(notJson.code).toBe('DATASET_INVALID')
    expect(notJson.file).toBe('meta/info.json')
    expect(notJson.message).toMatch(/^meta\/info\.json is not valid JSON/)

    expect(invalid('[1,2]').message).toContain('must hold a JSON object')

    const fps = invalid(info({ fps: 'fast' }))
    expect(fps.code).toBe('DATASET_INVALID')
    expect(fps.message).toBe('meta/info.json: field "fps" must be a positive number of frames per second, at most 10000 (got "fast")')

    expect(invalid(info({ fps: -5 })).message).toContain('"fps"')
    expect(invalid(info({ features: ['observation.state'] })).message).toContain('field "features"')
    expect(invalid(info({ data_path: 42 })).message).toContain('field "data_path"')
    expect(invalid(info({ chunks_size: 0 })).message).toContain('field "chunks_size"')
    const template = invalid(info({ data_path: 'data/{episode_number:06d}.parquet' }))
    expect(template.message).toContain('field "data_path" unknown field "{episode_number}"')
  })

  it('accepts `{chunk_index}` in v2 templates as the episode chunk', () => {
    const parsed = parseInfo(info({ data_path: 'data/chunk-{chunk_index:03d}/episode_{episode_index:06d}.parquet' }), null)
    expect(parsed.warnings).toEqual([])
  })
})

describe('state names', () => {
  it('flattens flat lists, nested lists and dicts of lists', () => {
    expect(flattenNames(['a', 'b'])).toEqual(['a', 'b'])
    expect(flattenNames([['a', 'b', 'c']])).toEqual(['a', 'b', 'c'])
    expect(flattenNames({ motors: ['x', 'y'] })).toEqual(['x', 'y'])
    expect(flattenNames({ arm: ['x'], gripper: ['g'] })).toEqual(['x', 'g'])
    expect(flattenNames(null)).toBeNull()
    expect(flattenNames([])).toBeNull()
  })

  it('fits names to the dimension', () => {
    expect(fitNames(['a'], 3)).toEqual(['a', 'state_1', 'state_2'])
    expect(fitNames(['a', 'b', 'c'], 2)).toEqual(['a', 'b'])
  })

  it('reports names that do not match the dimension, and falls back to state_i names', () => {
    const mismatch = parseInfo(info({}, { 'observation.state': { dtype: 'float32', shape: [4], names: { motors: ['a', 'b'] } } }), null)
    expect(mismatch.state).toEqual({ key: 'observation.state', dim: 4, names: ['a', 'b', 'state_2', 'state_3'] })
    expect(mismatch.warnings.map((w) => w.code)).toEqual(['STATE_NAMES_MISMATCH'])
    expect(mismatch.warnings[0]?.message).toContain('2 names for dimension 4')

    const unnamed = parseInfo(info({}, { 'observation.state': { dtype: 'float32', shape: [2], names: null } }), null)
    expect(unnamed.state?.names).toEqual(['state_0', 'state_1'])
    expect(unnamed.warnings).toEqual([])

    const noShape = parseInfo(info({}, { 'observation.state': { dtype: 'float32', names: [['p', 'q']] } }), null)
    expect(noShape.state).toEqual({ key: 'observation.state', dim: 2, names: ['p', 'q'] })
    expect(noShape.warnings.map((w) => w.code)).toEqual(['STATE_SHAPE_MISSING'])
  })

  it('flattens names nested deeper than the call stack, in document order', () => {
    let deep: unknown = 'inner'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(flattenNames([deep, { a: 'b', c: ['d'] }])).toEqual(['inner', 'b', 'd'])
  })

  it('ignores a state shape that is not positive integers of sane size, keeping the names', () => {
    for (const shape of [[-3], [0], [2.5], [1e9, 1e9]]) {
      const parsed = parseInfo(info({}, { 'observation.state': { dtype: 'float32', shape, names: ['a', 'b', 'c'] } }), null)
      expect(parsed.state).toEqual({ key: 'observation.state', dim: 3, names: ['a', 'b', 'c'] })
      expect(parsed.warnings.map((w) => w.code)).toEqual(['STATE_SHAPE_INVALID'])
    }
  })

  it('keeps every path inside the dataset folder', () => {
    expect(staysInside('data/chunk-000/episode_000000.parquet')).toBe(true)
    expect(staysInside('data/..hidden/x.parquet')).toBe(true)
    for (const bad of ['../x.parquet', 'data/../../x', '/etc/x', 'C:/x', '\\\\server\\x', 'data\\..\\..\\x']) expect(staysInside(bad)).toBe(false)
    expect(invalid(info({ data_path: '../{episode_index}.parquet' })).message).toContain('inside the dataset folder')
    const odd = parseInfo(info({}, { 'a/b': { dtype: 'video', shape: [4, 4, 3] }, '..': { dtype: 'video', shape: [4, 4, 3] } }), null)
    expect(odd.cameras).toEqual([])
    expect(odd.warnings.filter((w) => w.code === 'FEATURE_INVALID')).toHaveLength(2)
  })

  it('notes a dataset without observation.state', () => {
    const parsed = parseInfo(JSON.stringify({ codebase_version: 'v2.1', fps: 10, features: {} }), null)
    expect(parsed.state).toBeNull()
    expect(parsed.warnings.map((w) => w.code)).toContain('STATE_MISSING')
  })
})
