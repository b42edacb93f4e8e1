import { describe, expect, it } from 'vitest'
import type { CameraView } from '../../../../app/contract'
import { testCurveInfo, testEpisode } from '../../testing/builders'
import { defaultRenderForm, renderRequest, type RenderForm } from './renderForm'

const camera = (key: string, status: CameraView['status'] = 'ready'): CameraView => ({
  key,
  media: null,
  codec: 'h264',
  width: 96,
  height: 72,
  videoFrames: 120,
  frameTimes: new Float64Array(120),
  status,
  statusMessage: null,
})

const episode = testEpisode(3, { fps: 30, length: 120 }, {
  cameras: [camera('observation.images.cam_high'), camera('observation.images.cam_left', 'missing'), camera('observation.images.cam_right')],
})
const curves = [testCurveInfo('a', 120), testCurveInfo('b', 120)]
const at = { datasetId: 'd1', episode: 3, length: 120 }

describe('render form', () => {
  it('starts with every camera that has a video, the shown curves, events, the zoomed or whole range, an MP4 beside the dataset', () => {
    const whole = defaultRenderForm(episode, curves, null, '/data/task/')
    expect(whole).toEqual({
      cameras: ['observation.images.cam_high', 'observation.images.cam_right'],
      curves: ['a', 'b'],
      events: true,
      from: '0',
      to: '119',
      tileHeight: '240',
      out: '/data/task-episode-3.mp4',
    })
    expect(defaultRenderForm(episode, [], [20, 45], '/data/task')).toMatchObject({ from: '20', to: '45', curves: [] })
  })

  it('makes the render.video call, adding .mp4 to the path when it lacks it', () => {
    const form: RenderForm = { ...defaultRenderForm(episode, curves, null, '/data/task'), from: ' 10', to: '29 ', out: '/tmp/clip' }
    expect(renderRequest(form, at)).toEqual({
      datasetId: 'd1',
      episode: 3,
      from: 10,
      to: 29,
      cameras: ['observation.images.cam_high', 'observation.images.cam_right'],
      curves: ['a', 'b'],
      events: true,
      tileHeight: 240,
      out: '/tmp/clip.mp4',
    })
  })

  it('names the field that cannot be used', () => {
    const form = defaultRenderForm(episode, curves, null, '/data/task')
    const bad = (patch: Partial<RenderForm>): (() => unknown) => () => renderRequest({ ...form, ...patch }, at)
    expect(bad({ cameras: [] })).toThrow('Pick at least one camera to render')
    expect(bad({ from: '-1' })).toThrow('First frame must be a whole number (got "-1")')
    expect(bad({ to: '2.5' })).toThrow('Last frame must be a whole number (got "2.5")')
    expect(bad({ from: '120' })).toThrow("First frame 120 is past the episode's last frame 119")
    expect(bad({ to: '500' })).toThrow("Last frame 500 is past the episode's last frame 119")
    expect(bad({ from: '50', to: '40' })).toThrow('Last frame 40 is before first frame 50')
    expect(bad({ tileHeight: '32' })).toThrow('Tile height must be from 64 to 1080 pixels (got 32)')
    expect(bad({ tileHeight: '' })).toThrow('Tile height must be a whole number (got "")')
    expect(bad({ out: '  ' })).toThrow('Type the path of the MP4 to write')
  })
})
