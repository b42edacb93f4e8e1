import { describe, expect, it } from 'vitest'
import { sessionToken } from './wsClient'

describe('sessionToken', () => {
  it('reads the token from the app path /s/<token>/', () => {
    expect(sessionToken({ pathname: '/s/abc_DEF-123/', search: '' })).toBe('abc_DEF-123')
    expect(sessionToken({ pathname: '/s/abc/index.html', search: '?token=other' })).toBe('abc')
  })

  it('falls back to ?token= and to nothing', () => {
    expect(sessionToken({ pathname: '/', search: '?token=xyz' })).toBe('xyz')
    expect(sessionToken({ pathname: '/s/', search: '' })).toBe('')
  })
})
