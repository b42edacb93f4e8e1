import { describe, expect, it } from 'vitest'
import { TemplateError, formatPathTemplate, templateFields, templateMatcher } from './pathTemplate'

describe('formatPathTemplate', () => {
  it('refuses a width no file name can have, instead of building a gigantic string', () => {
    expect(() => formatPathTemplate('episode_{episode_index:999999999999d}', { episode_index: 1 })).toThrow(TemplateError)
    expect(formatPathTemplate('{episode_index:0255d}', { episode_index: 1 })).toHaveLength(255)
  })

  it('applies python zero-padded widths as LeRobot templates use them', () => {
    expect(
      formatPathTemplate('data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet', {
        episode_chunk: 1,
        episode_index: 1042,
      }),
    ).toBe('data/chunk-001/episode_001042.parquet')
    expect(
      formatPathTemplate('videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4', {
        video_key: 'observation.images.top',
        chunk_index: 0,
        file_index: 12,
      }),
    ).toBe('videos/observation.images.top/chunk-000/file-012.mp4')
  })

  it('supports plain fields, widths without zero, explicit fill/align and wider-than-width numbers', () => {
    expect(formatPathTemplate('e{episode_index}', { episode_index: 7 })).toBe('e7')
    expect(formatPathTemplate('[{n:4}]', { n: 7 })).toBe('[   7]')
    expect(formatPathTemplate('[{n:_<4}]', { n: 7 })).toBe('[7___]')
    expect(formatPathTemplate('[{n:03d}]', { n: 12345 })).toBe('[12345]')
    expect(formatPathTemplate('[{n:03}]', { n: -4 })).toBe('[-04]')
  })

  it('rejects unknown fields and unsupported specs with a TemplateError naming them', () => {
    expect(() => formatPathTemplate('{nope:03d}', { n: 1 })).toThrow(TemplateError)
    expect(() => formatPathTemplate('{nope:03d}', { n: 1 })).toThrow('{nope}')
    expect(() => formatPathTemplate('{n:%x}', { n: 1 })).toThrow('unsupported format spec')
    expect(() => formatPathTemplate('{k:03d}', { k: 'text' })).toThrow('needs a number')
  })

  it('lists the fields a template uses', () => {
    expect(templateFields('a/{x:03d}/{y}/{x}')).toEqual(['x', 'y'])
  })
})

describe('templateMatcher', () => {
  const match = templateMatcher('data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet', [
    'episode_chunk',
    'episode_index',
  ])

  it('recovers the numeric fields of paths the template produced', () => {
    expect(match('data/chunk-002/episode_002017.parquet')).toEqual({ episode_chunk: 2, episode_index: 2017 })
  })

  it('rejects paths that do not fit', () => {
    expect(match('data/chunk-000/episode_000001.parquet.bak')).toBeNull()
    expect(match('data/chunk-000/other_000001.parquet')).toBeNull()
    expect(match('meta/info.json')).toBeNull()
  })

  it('requires a field used twice to capture the same value, and substitutes fixed fields literally', () => {
    const twice = templateMatcher('{i:02d}/{i:02d}.x', ['i'])
    expect(twice('03/03.x')).toEqual({ i: 3 })
    expect(twice('03/04.x')).toBeNull()
    const fixed = templateMatcher('videos/{video_key}/e{i}.mp4', ['i'], { video_key: 'cam.a' })
    expect(fixed('videos/cam.a/e5.mp4')).toEqual({ i: 5 })
    expect(fixed('videos/camXa/e5.mp4')).toBeNull()
  })
})
