import { VivaError } from '../errors'

/** The VivaError `fn` throws, for tests that check its code and message; anything else is rethrown. */
export function thrown(fn: () => unknown): VivaError {
  try {
    fn()
  } catch (err) {
    if (err instanceof VivaError) return err
    throw err
  }
  throw new Error('expected a VivaError, nothing was thrown')
}

/** The VivaError an async `fn` rejects with; anything else is rethrown. */
export async function rejected(fn: () => Promise<unknown>): Promise<VivaError> {
  try {
    await fn()
  } catch (err) {
    if (err instanceof VivaError) return err
    throw err
  }
  throw new Error('expected a VivaError, nothing was thrown')
}
