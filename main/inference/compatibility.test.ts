import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CameraMapping } from '../../app/contract'
import type { DatasetSummary } from '../../app/dataset'
import { PACKAGE_ROOT } from '../paths'
import { checkCompatibility, suggestStateMap } from './compatibility'
import { loadModelPackage, type Manifest } from './manifest'

let manifest: Manifest
beforeAll(async () => {
  manifest = (await loadModelPackage(path.join(PACKAGE_ROOT, 'models', 'viva-reference'))).manifest
})

const SLOTS = ['cam_high', 'cam_left_wrist', 'cam_right_wrist']

function summary(patch: Partial<DatasetSummary> = {}): DatasetSummary {
  return {
    id: 'd',
    root: '/d',
    name: 'd',
    format: 'v2.1',
    fps: 10,
    robotType: null,
    cameras: SLOTS.map((c) => ({ key: `observation.images.${c}`, dtype: 'video', declaredCodec: 'h264', width: 256, height: 192, fps: 10 })),
    state: { key: 'observation.state', dim: 14, names: manifest.state.names },
    features: [],
    stateChoice: { key: 'observation.state', by: 'standard', reason: '' },
    tasks: [],
    episodes: [],
    totalFrames: 0,
    warnings: [],
    ...patch,
  }
}

function mapping(how: CameraMapping['how'] = {}, slots?: Record<string, string | null>): CameraMapping {
  return {
    datasetId: 'd',
    modelId: 'm',
    slots: slots ?? Object.fromEntries(SLOTS.map((s) => [s, `observation.images.${s}`])),
    guessed: true,
    how: { cam_high: 'name', cam_left_wrist: 'name', cam_right_wrist: 'name', ...how },
  }
}

const codes = (issues: { code: string; level: string }[]): string[] => issues.map((i) => `${i.level}:${i.code}`)

describe('checkCompatibility', () => {
  it('finds nothing to say for the data the model was trained on; notes a resize', () => {
    expect(manifest.image.source).toEqual({ width: 256, height: 192 })
    expect(checkCompatibility({ manifest, summary: summary(), cameras: mapping(), stateMap: null, datasetStateDim: 14, sample: null })).toEqual([])
    const small = summary().cameras.map((c) => ({ ...c, width: 128, height: 96 }))
    const resized = checkCompatibility({ manifest, summary: summary({ cameras: small }), cameras: mapping(), stateMap: null, datasetStateDim: 14, sample: null })
    expect(codes(resized)).toEqual(['info:IMAGE_SIZE'])
    expect(resized[0]?.message).toBe(
      'observation.images.cam_high, observation.images.cam_left_wrist, observation.images.cam_right_wrist are 128×96 (trained on 256×192): resized to 64×64 as in training',
    )
    // A manifest without the training frame size can only say the frames are resized.
    const { source: _source, ...image } = manifest.image
    const noSource = checkCompatibility({ manifest: { ...manifest, image }, summary: summary(), cameras: mapping(), stateMap: null, datasetStateDim: 14, sample: null })
    expect(noSource.map((i) => i.message)).toEqual(['observation.images.cam_high, observation.images.cam_left_wrist, observation.images.cam_right_wrist are 256×192: resized to 64×64'])
  })

  it('warns on another frame rate, another aspect ratio than training, a reused camera, joints in another order', () => {
    const withSource: Manifest = { ...manifest, image: { ...manifest.image, source: { width: 256, height: 192 } } }
    const reversed = [...manifest.state.names].reverse()
    const cams = summary().cameras.map((c) => ({ ...c, width: 640, height: 360 }))
    const issues = checkCompatibility({
      manifest: withSource,
      summary: summary({ fps: 30, cameras: cams, state: { key: 'observation.state', dim: 14, names: reversed } }),
      cameras: mapping({}, { cam_high: 'observation.images.cam_high', cam_left_wrist: 'observation.images.cam_high', cam_right_wrist: 'observation.images.cam_right_wrist' }),
      stateMap: null,
      datasetStateDim: 14,
      sample: null,
    })
    expect(codes(issues)).toEqual(['warning:STATE_NAMES', 'warning:CAMERA_REUSED', 'warning:IMAGE_SIZE', 'warning:FPS'])
    expect(issues[0]?.message).toContain('unless you give the state map 13,12,11,10,9,8,7,6,5,4,3,2,1,0')
    expect(issues[1]?.message).toBe('observation.images.cam_high feeds 2 model cameras (cam_high, cam_left_wrist)')
    expect(issues[2]?.message).toContain('trained on 256×192 frames: resized to 64×64 with another aspect ratio')
    expect(issues[3]?.message).toContain('its horizon of 17 frames is 0.57 s here instead of 1.70 s')
  })

  it('blocks a missing state, a missing camera and a state map of the wrong size', () => {
    const none = checkCompatibility({
      manifest,
      summary: summary({ state: null, stateChoice: { key: null, by: 'none', reason: 'no observation.state and no numeric vector feature' } }),
      cameras: mapping({ cam_right_wrist: 'none' }, { cam_high: 'observation.images.cam_high', cam_left_wrist: 'observation.images.cam_left_wrist', cam_right_wrist: null }),
      stateMap: null,
      datasetStateDim: 0,
      sample: null,
    })
    expect(codes(none).filter((c) => c.startsWith('error'))).toEqual(['error:STATE_MISSING', 'error:CAMERA_UNMAPPED'])
    expect(none[1]?.message).toContain('no dataset camera is mapped to cam_right_wrist')
    const short = checkCompatibility({ manifest, summary: summary(), cameras: mapping(), stateMap: [{ kind: 'joint', index: 0 }], datasetStateDim: 14, sample: null })
    expect(short[0]).toMatchObject({ level: 'error', code: 'STATE_MAP' })
  })

  it('suggests a state map that keeps the first joints and pads the rest', () => {
    expect(suggestStateMap(12, 14)).toBe('0-11,pad:mid,pad:mid')
    expect(suggestStateMap(26, 14)).toBe('0-13')
    expect(suggestStateMap(14, 14)).toBeNull()
  })
})
