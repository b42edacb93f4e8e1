import { isMethod, methodSchemas } from '../../app/contract'
import type { Method, Params, Result } from '../../app/contract'
import type { WireError } from '../../app/errors'
import { toWireError, VivaError } from '../../app/errors'
import { cutText } from '../../app/text'
import type { UploadSession } from './uploads'

export interface CallContext {
  signal: AbortSignal
  /** The uploads of the connection (or window) the call came from; absent for callers that have none (tests). */
  uploads?: UploadSession
}

/** The caller's upload session, or a clear error for a caller that cannot upload. */
export function uploadsOf(ctx: CallContext): UploadSession {
  if (!ctx.uploads) throw new VivaError('INVALID_ARGUMENT', 'This caller has no upload session; pass the text inline.')
  return ctx.uploads
}

/** One handler per contract method; the mapped type makes a missing or mistyped handler a compile error. */
export type Handlers = { [M in Method]: (params: Params<M>, ctx: CallContext) => Promise<Result<M>> }

export type DispatchOutcome = { ok: true; result: unknown } | { ok: false; error: WireError }

/** Validate and run one call. Every transport goes through here, so validation cannot be forgotten by one of them. */
export async function dispatch(
  handlers: Handlers,
  method: unknown,
  params: unknown,
  ctx: CallContext,
): Promise<DispatchOutcome> {
  if (!isMethod(method)) {
    return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown method: ${String(method).slice(0, 100)}` } }
  }
  const parsed = methodSchemas[method].safeParse(params ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    // Cut: zod quotes offending keys and values, and those can be megabytes long.
    const where = issue && issue.path.length > 0 ? ` (${cutText(issue.path.join('.'))})` : ''
    return {
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: `Invalid parameters for ${method}${where}: ${cutText(issue?.message ?? 'invalid', 300)}` },
    }
  }
  try {
    const handler = handlers[method] as (p: unknown, c: CallContext) => Promise<unknown>
    return { ok: true, result: await handler(parsed.data, ctx) }
  } catch (err) {
    return { ok: false, error: toWireError(err) }
  }
}
