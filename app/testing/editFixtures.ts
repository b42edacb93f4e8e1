import type { AnnotationEvent, Edit, ProjectState } from '../annotations'
import { applyEdits, emptyProject } from '../edits/apply'
import { thrown } from './thrown'

/** Builders and checks the annotation edit tests share (app/edits/*.test.ts). */

export const T0 = Date.UTC(2026, 0, 1)
export const at = (step: number): string => new Date(T0 + step * 1000).toISOString()

/** `fn` throws a VivaError with this code (and message: exact text, or a pattern). */
export function expectCode(fn: () => unknown, code: string, message?: RegExp | string): void {
  const err = thrown(fn)
  const fail = (what: string): never => {
    throw new Error(`expected ${what}, got ${err.code}: ${err.message}`)
  }
  if (err.code !== code) fail(`code ${code}`)
  if (typeof message === 'string' && err.message !== message) fail(`the message "${message}"`)
  if (message instanceof RegExp && !message.test(err.message)) fail(`a message matching ${String(message)}`)
}

/** Maps turned into sorted plain objects, so equality ignores insertion order and sees every field. */
export function plain(state: ProjectState): unknown {
  const sorted = <K extends string | number, V>(m: Map<K, V>): [K, V][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return {
    events: Object.fromEntries(sorted(state.events)),
    episodes: Object.fromEntries(sorted(state.episodes)),
    taxonomies: Object.fromEntries(sorted(state.taxonomies)),
  }
}

export function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v)
    // A frozen Map can still be set(); replace its mutators so any write by applyEdit throws.
    const fail = (): never => {
      throw new Error('mutated a frozen map')
    }
    Object.assign(value, { set: fail, delete: fail, clear: fail })
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return Object.freeze(value)
}

export function frozen(state: ProjectState): ProjectState {
  return deepFreeze({ events: state.events, episodes: state.episodes, taxonomies: state.taxonomies })
}

export function event(overrides: Partial<AnnotationEvent> = {}): AnnotationEvent {
  return {
    id: 'e1',
    episode: 0,
    frame: 10,
    kind: 'milestone',
    label: 'Grasp',
    note: '',
    annotator: 'ana',
    taxonomyVersion: 1,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  }
}

export function withEvents(...events: AnnotationEvent[]): ProjectState {
  return applyEdits(emptyProject(), events.map((e): Edit => ({ op: 'event.add', event: e })))
}
