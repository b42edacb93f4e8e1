/**
 * Taxonomy presets and the rules every taxonomy obeys. The three task presets follow the ViVa paper: its error types
 * are those of Fig. 4 (Sec. 4.1.2), its milestones the stages named in the task descriptions (Sec. 4.1.1), in the
 * order the robot goes through them. Milestones are expected in every episode, error types only where that failure
 * happens, so a taxonomy needs milestones but may list no error types (the paper's pants-folding set has none).
 */
import { VivaError } from './errors'
import { quoteValue } from './text'

export interface TaxonomyPreset {
  readonly id: string
  readonly name: string
  /** Ordered stages of the task. */
  readonly milestones: string[]
  readonly errorTypes: string[]
}

export const MAX_TAXONOMY_NAME_LENGTH = 120

function preset(id: string, name: string, milestones: string[], errorTypes: string[]): TaxonomyPreset {
  // Frozen because every consumer shares these arrays: a UI that edited one in place would change the preset.
  return Object.freeze({ id, name, milestones: Object.freeze(milestones) as string[], errorTypes: Object.freeze(errorTypes) as string[] })
}

export const TAXONOMY_PRESETS: readonly TaxonomyPreset[] = Object.freeze([
  preset(
    'shirt-folding',
    'Shirt folding',
    ['Take shirt from basket', 'Spread flat', 'Fold sleeves and sides in', 'Longitudinal fold', 'Cross fold', 'Return to basket'],
    ['Failed to spread flat', 'Poor spreading quality', 'Grasp failure', 'Basket placement failure'],
  ),
  preset(
    'box-packaging',
    'Box packaging',
    ['Pick item', 'Place item in box', 'Fold side flaps', 'Close lid', 'Interlock tabs'],
    ['Side panel operation', 'Box operation', 'Ear operation', 'Object A operation', 'Object B operation', 'Lay-down'],
  ),
  preset(
    'paper-roll-organization',
    'Paper roll organization',
    ['Grasp sheet', 'Tear off sheet', 'Discard sheet', 'Rewind loose end', 'Apply sealing sticker'],
    ['Label and tear operation', 'Roll retrieval deviation', 'Roll retrieval slip', 'Roll displacement'],
  ),
  preset(
    'generic',
    'Generic manipulation',
    ['Grasp', 'Lift', 'Place', 'Release'],
    ['Grasp failure', 'Drop', 'Collision', 'Stall', 'Regression', 'Other'],
  ),
])

export function presetById(id: string): TaxonomyPreset | null {
  return TAXONOMY_PRESETS.find((p) => p.id === id) ?? null
}

// Control characters would break one-name-per-line editing and CSV rows read by hand.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

function listProblems(names: readonly unknown[], what: string, problems: string[]): void {
  const seen = new Map<string, number>()
  names.forEach((name, i) => {
    const where = `${what} ${i + 1}`
    if (typeof name !== 'string') {
      problems.push(`${where} is not text.`)
      return
    }
    if (name.trim() === '') {
      problems.push(`${where} is empty.`)
      return
    }
    if (name !== name.trim()) problems.push(`${where} ${quoteValue(name)} starts or ends with spaces.`)
    if (CONTROL.test(name)) problems.push(`${where} contains a line break or control character.`)
    if (name.length > MAX_TAXONOMY_NAME_LENGTH) problems.push(`${where} is longer than ${MAX_TAXONOMY_NAME_LENGTH} characters.`)
    // Names differing only in case would be two labels nobody can tell apart in a chart legend.
    const key = name.trim().toLowerCase()
    const first = seen.get(key)
    if (first !== undefined) problems.push(`${where} ${quoteValue(name)} repeats ${what.toLowerCase()} ${first + 1} (names are compared ignoring case).`)
    else seen.set(key, i)
  })
}

/** Every reason the lists are not a valid taxonomy, in reading order; empty when they are. */
export function taxonomyProblems(milestones: readonly unknown[], errorTypes: readonly unknown[]): string[] {
  const problems: string[] = []
  if (milestones.length === 0) problems.push('Add at least one milestone.')
  listProblems(milestones, 'Milestone', problems)
  listProblems(errorTypes, 'Error type', problems)
  const milestoneKeys = new Set(milestones.filter((m): m is string => typeof m === 'string').map((m) => m.trim().toLowerCase()))
  for (const e of errorTypes) {
    // A label that is both would leave its direction (+1 / −1) to whichever kind the annotator happened to pick.
    if (typeof e === 'string' && e.trim() !== '' && milestoneKeys.has(e.trim().toLowerCase())) {
      problems.push(`${quoteValue(e.trim())} is both a milestone and an error type; use distinct names.`)
    }
  }
  return problems
}

/** Throws INVALID_ARGUMENT naming every problem (non-empty, trimmed, unique names; at least one milestone). */
export function validateTaxonomyLists(milestones: readonly unknown[], errorTypes: readonly unknown[]): void {
  const problems = taxonomyProblems(milestones, errorTypes)
  if (problems.length > 0) throw new VivaError('INVALID_ARGUMENT', problems.join(' '))
}

/** What a one-name-per-line editor produces: trimmed names, blank lines dropped. */
export function namesFromLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}
