import { describe, expect, it } from 'vitest'
import type { OptionTable } from './command'
import { joinNegativeValues } from './run'

const options = {
  'failure-reward': { type: 'string', value: 'R', help: '' },
  gamma: { type: 'string', value: 'G', help: '' },
  copy: { type: 'boolean', help: '' },
  out: { type: 'string', value: 'DIR', help: '' },
} satisfies OptionTable

describe('joinNegativeValues', () => {
  it('gives a string option the negative number after it, and leaves everything else as it was', () => {
    expect(joinNegativeValues(['export', 'ds', '--failure-reward', '-300', '--gamma', '-.5', '--out', 'o'], options)).toEqual([
      'export',
      'ds',
      '--failure-reward=-300',
      '--gamma=-.5',
      '--out',
      'o',
    ])
    // Already joined, a boolean option, an unknown option, and a dash value that is not a number (a forgotten value).
    const untouched = ['--failure-reward=-3', '--copy', '-1', '--other', '-2', '--out', '-o', '--gamma', '-']
    expect(joinNegativeValues(untouched, options)).toEqual(untouched)
    expect(joinNegativeValues(['--gamma'], options)).toEqual(['--gamma'])
  })
})
