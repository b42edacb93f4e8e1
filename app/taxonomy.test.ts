import { describe, expect, it } from 'vitest'
import { VivaError } from './errors'
import { namesFromLines, presetById, TAXONOMY_PRESETS, taxonomyProblems, validateTaxonomyLists } from './taxonomy'

describe('taxonomy presets', () => {
  it("carry the paper's error types (Fig. 4) for its three tasks, plus a generic preset", () => {
    expect(TAXONOMY_PRESETS.map((p) => p.id)).toEqual(['shirt-folding', 'box-packaging', 'paper-roll-organization', 'generic'])
    expect(presetById('shirt-folding')?.errorTypes).toEqual(['Failed to spread flat', 'Poor spreading quality', 'Grasp failure', 'Basket placement failure'])
    expect(presetById('box-packaging')?.errorTypes).toEqual([
      'Side panel operation',
      'Box operation',
      'Ear operation',
      'Object A operation',
      'Object B operation',
      'Lay-down',
    ])
    expect(presetById('paper-roll-organization')?.errorTypes).toEqual([
      'Label and tear operation',
      'Roll retrieval deviation',
      'Roll retrieval slip',
      'Roll displacement',
    ])
    expect(presetById('generic')?.milestones).toEqual(['Grasp', 'Lift', 'Place', 'Release'])
    expect(presetById('generic')?.errorTypes).toEqual(['Grasp failure', 'Drop', 'Collision', 'Stall', 'Regression', 'Other'])
    expect(presetById('nope')).toBeNull()
  })

  it('are themselves valid taxonomies, with ordered milestones, and cannot be mutated', () => {
    for (const p of TAXONOMY_PRESETS) {
      expect(() => validateTaxonomyLists(p.milestones, p.errorTypes)).not.toThrow()
      expect(p.milestones.length).toBeGreaterThanOrEqual(4)
      expect(Object.isFrozen(p.milestones)).toBe(true)
      expect(() => p.milestones.push('x')).toThrow()
    }
    expect(presetById('shirt-folding')?.milestones[0]).toMatch(/basket/i)
    expect(presetById('shirt-folding')?.milestones.at(-1)).toMatch(/basket/i)
    expect(presetById('paper-roll-organization')?.milestones.at(-1)).toMatch(/sticker/i)
  })
})

describe('validateTaxonomyLists', () => {
  const message = (m: unknown[], e: unknown[]): string => {
    try {
      validateTaxonomyLists(m, e)
    } catch (err) {
      expect(err).toBeInstanceOf(VivaError)
      expect((err as VivaError).code).toBe('INVALID_ARGUMENT')
      return (err as VivaError).message
    }
    throw new Error('expected a rejection')
  }

  it('accepts milestones without error types (milestone-only tasks such as the paper’s pants folding)', () => {
    expect(taxonomyProblems(['Grasp', 'Fold'], [])).toEqual([])
  })

  it('names each problem precisely', () => {
    expect(message([], ['Drop'])).toBe('Add at least one milestone.')
    expect(message(['Grasp', ''], [])).toBe('Milestone 2 is empty.')
    expect(message(['Grasp', '   '], [])).toBe('Milestone 2 is empty.')
    expect(message([' Grasp'], [])).toBe('Milestone 1 " Grasp" starts or ends with spaces.')
    expect(message(['Grasp', 'Lift', 'grasp'], [])).toBe('Milestone 3 "grasp" repeats milestone 1 (names are compared ignoring case).')
    expect(message(['Grasp'], ['Drop', 'Drop'])).toBe('Error type 2 "Drop" repeats error type 1 (names are compared ignoring case).')
    expect(message(['Grasp'], ['grasp'])).toBe('"grasp" is both a milestone and an error type; use distinct names.')
    expect(message(['a\nb'], [])).toBe('Milestone 1 contains a line break or control character.')
    expect(message(['x'.repeat(121)], [])).toBe('Milestone 1 is longer than 120 characters.')
    expect(message([3], [])).toBe('Milestone 1 is not text.')
    expect(message(['', ''], [''])).toBe('Milestone 1 is empty. Milestone 2 is empty. Error type 1 is empty.')
  })

  it('reads one name per line, trimmed, blank lines dropped', () => {
    expect(namesFromLines(' Grasp \r\n\nLift\n  \nPlace')).toEqual(['Grasp', 'Lift', 'Place'])
  })
})
