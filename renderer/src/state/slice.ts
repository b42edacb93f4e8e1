import type { VivaClient } from '../../../app/contract'

/**
 * What a feature's state is given by the store (see store.ts): the client, a setter that takes only the feature's
 * own fields, and a getter of its own state plus what it reads of the features below it (`Reads`: their state and
 * actions). A feature never writes another's fields; it calls the other feature's actions, or the store reacts
 * for it through the hooks the feature declares.
 */
export interface SliceContext<Own, Reads = unknown> {
  client: VivaClient
  set(patch: Partial<Own> | ((s: Own & Reads) => Partial<Own>)): void
  get(): Own & Reads
}
