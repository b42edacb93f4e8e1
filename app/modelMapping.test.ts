import { describe, expect, it } from 'vitest'
import { thrown } from './testing/thrown'
import { applyStateMap, formatStateMap, isIdentityMap, parseCameraMap, parseStateMap } from './modelMapping'

const NAMES = ['waist', 'shoulder', 'elbow', 'wrist', 'gripper']

describe('state map grammar', () => {
  it('reads indices, ranges, names and pads, in order', () => {
    expect(parseStateMap('0-2, 4 ,pad:0', NAMES)).toEqual([
      { kind: 'joint', index: 0 },
      { kind: 'joint', index: 1 },
      { kind: 'joint', index: 2 },
      { kind: 'joint', index: 4 },
      { kind: 'pad', value: 0 },
    ])
    expect(parseStateMap('gripper,waist,pad:mid,pad:-1.5e-1,PAD:max', NAMES)).toEqual([
      { kind: 'joint', index: 4 },
      { kind: 'joint', index: 0 },
      { kind: 'pad', value: 'mid' },
      { kind: 'pad', value: -0.15 },
      { kind: 'pad', value: 'max' },
    ])
  })

  it('refuses what it cannot read with INVALID_ARGUMENT naming the item', () => {
    const cases: [string, string][] = [
      ['', '--state-map: is empty'],
      ['0,,1', 'empty item'],
      ['3-1', 'range 3-1 runs backwards'],
      ['5', '"5": the dataset\'s state has 5 joints (0-4)'],
      ['0-7', '"0-7": the dataset\'s state has 5 joints'],
      ['pad:x', '"pad:x": pad takes a number or min, max, mid'],
      ['knee', '"knee" is not a joint index, range, pad:V or joint name of the dataset (names: waist, shoulder'],
    ]
    for (const [text, message] of cases) {
      const err = thrown(() => parseStateMap(text, NAMES))
      expect(err.code, text).toBe('INVALID_ARGUMENT')
      expect(err.message, text).toContain(message)
    }
    expect(thrown(() => parseStateMap('a', ['a', 'a'])).message).toContain('names more than one dataset joint')
  })

  it('writes a canonical form with ranges, and knows the identity', () => {
    expect(formatStateMap(parseStateMap('0,1,2,gripper,3,pad:mid', NAMES))).toBe('0-2,4,3,pad:mid')
    expect(isIdentityMap(parseStateMap('0-4', NAMES), 5)).toBe(true)
    expect(isIdentityMap(parseStateMap('0-3', NAMES), 5)).toBe(false)
    expect(isIdentityMap(parseStateMap('1,0,2-4', NAMES), 5)).toBe(false)
  })

  it('applies to every frame, padding from the model range', () => {
    const values = Float32Array.from([0, 1, 2, 3, 4, 10, 11, 12, 13, 14])
    const out = applyStateMap(values, 2, 5, parseStateMap('4,0,pad:mid,pad:7', NAMES), [0, 0, -2, 0], [1, 1, 4, 1])
    expect(Array.from(out)).toEqual([4, 0, 1, 7, 14, 10, 1, 7])
  })
})

describe('camera map grammar', () => {
  const slots = ['cam_high', 'cam_left_wrist']
  const keys = ['observation.images.top', 'observation.images.wrist', 'observation.images.wrist_r']
  it('takes slot=camera by full key or the part after the last dot', () => {
    expect(parseCameraMap('cam_high=top, cam_left_wrist=observation.images.wrist_r', slots, keys)).toEqual({
      cam_high: 'observation.images.top',
      cam_left_wrist: 'observation.images.wrist_r',
    })
  })
  it('refuses unknown slots, cameras, repeats and malformed items', () => {
    expect(thrown(() => parseCameraMap('top', slots, keys)).message).toContain('"top" is not model_slot=dataset_camera')
    expect(thrown(() => parseCameraMap('cam_low=top', slots, keys)).message).toContain('the model has no camera slot "cam_low" (slots: cam_high, cam_left_wrist)')
    expect(thrown(() => parseCameraMap('cam_high=side', slots, keys)).message).toContain('the dataset has no camera "side"')
    expect(thrown(() => parseCameraMap('cam_high=top,cam_high=wrist', slots, keys)).message).toContain('slot "cam_high" is given twice')
  })
})
