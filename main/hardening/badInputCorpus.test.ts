import { describe, expect, it } from 'vitest'
import { cases as imports } from './cases/imports'
import { cases as infoJson } from './cases/infoJson'
import { cases as limits } from './cases/limits'
import { cases as models } from './cases/models'
import { cases as v2Metadata } from './cases/v2Metadata'
import { cases as v3Metadata } from './cases/v3Metadata'
import { cases as video } from './cases/video'

/** The corpus as a whole (each input class runs in its own badInputs.<class>.test.ts). */
const cases = [...infoJson, ...v2Metadata, ...v3Metadata, ...video, ...models, ...imports, ...limits]

describe('bad-input corpus', () => {
  it(`holds at least 40 malformed inputs that must fail or warn (has ${cases.filter((c) => !('accepted' in c.expect)).length})`, () => {
    expect(cases.filter((c) => !('accepted' in c.expect)).length).toBeGreaterThanOrEqual(40)
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length)
  })
})
