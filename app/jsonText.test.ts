import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lineAndColumn, locateJsonError } from './jsonText'

describe('locateJsonError', () => {
  it('agrees with JSON.parse on what is JSON', () => {
    const parses = (t: string): boolean => {
      try {
        JSON.parse(t)
        return true
      } catch {
        return false
      }
    }
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(locateJsonError(JSON.stringify(v, null, 1))).toBeNull()
    }), { numRuns: 300 })
    const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9a-z.eE+\\-]{0,24}$/)
    fc.assert(fc.property(jsonish, (t) => {
      expect(locateJsonError(t) === null).toBe(parses(t))
    }), { numRuns: 2000 })
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (v, cut) => {
        const text = JSON.stringify(v)
        const cutAt = cut % (text.length + 1)
        expect(locateJsonError(text.slice(0, cutAt)) === null).toBe(parses(text.slice(0, cutAt)))
      }),
      { numRuns: 500 },
    )
  })

  it('names the line, the column and what was wrong, at the first character that is not JSON', () => {
    expect(locateJsonError('{\n  "schema": "x",,\n}')).toEqual({
      position: 18,
      line: 2,
      column: 17,
      atEnd: false,
      problem: 'expected double-quoted property name',
    })
    // V8 gives no position for an unexpected token: found by bisection, at the token.
    expect(locateJsonError('{"a": tru}')).toMatchObject({ position: 9, line: 1, column: 10, atEnd: false, problem: "unexpected token '}'" })
    expect(locateJsonError('[1,\n2,\n}')).toMatchObject({ position: 7, line: 3, column: 1, problem: "unexpected token '}'" })
    expect(locateJsonError('{"v": NaN}')).toMatchObject({ position: 6, problem: "unexpected token 'N'" })
    expect(locateJsonError('{"a":1} x')).toMatchObject({ position: 8, problem: 'unexpected non-whitespace character after JSON' })
  })

  it('says when the text ends too early', () => {
    expect(locateJsonError('{"events": [1, 2')).toEqual({ position: 16, line: 1, column: 17, atEnd: true, problem: "expected ',' or ']' after array element" })
    expect(locateJsonError('{"a": tru')).toMatchObject({ position: 9, atEnd: true, problem: 'unexpected end of JSON input' })
  })

  it('places every position of a text on its line and column', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\n', 'é', '😀') }), fc.nat(), (text, at) => {
        const position = at % (text.length + 1)
        const before = text.slice(0, position)
        expect(lineAndColumn(text, position)).toEqual({ line: before.split('\n').length, column: position - before.lastIndexOf('\n') })
      }),
    )
  })
})
