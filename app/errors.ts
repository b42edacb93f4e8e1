/**
 * Errors that cross the main/renderer boundary travel as `{ code, message }` (plus the file they concern, when
 * there is one). Everything else about an exception stays on the side that threw it.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'NOT_A_DATASET',
  'DATASET_INVALID',
  'EPISODE_UNAVAILABLE',
  'MEDIA_UNSUPPORTED',
  'MEDIA_FAILED',
  'FORBIDDEN',
  'UNAUTHORIZED',
  'CANCELLED',
  'CONFLICT',
  'LOCKED',
  'IMPORT_INVALID',
  /** An annotation file made for other data (other fps or episode lengths): refused unless forced. */
  'IMPORT_MISMATCH',
  'MODEL_INVALID',
  'MODEL_FAILED',
  /** The model cannot score this dataset as it is mapped (state dimension, cameras): refused before any frame. */
  'MODEL_INCOMPATIBLE',
  'UNKNOWN_METHOD',
  'TOOL_MISSING',
  'DISK_FULL',
  /** Too many calls at once on one connection (main/rpc/serveRpc.ts MAX_INFLIGHT_CALLS). */
  'BUSY',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface WireError {
  code: ErrorCode
  message: string
  file?: string
}

export class VivaError extends Error {
  readonly code: ErrorCode
  readonly file: string | undefined

  constructor(code: ErrorCode, message: string, file?: string) {
    super(message)
    this.name = 'VivaError'
    this.code = code
    this.file = file
  }

  toWire(): WireError {
    return this.file === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, file: this.file }
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
}

/** Reduce anything thrown to the wire form; unknown exceptions become INTERNAL with their message kept. */
export function toWireError(err: unknown): WireError {
  if (err instanceof VivaError) return err.toWire()
  if (err instanceof Error && err.name === 'AbortError') return { code: 'CANCELLED', message: 'The operation was cancelled.' }
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message }
  return { code: 'INTERNAL', message: String(err) }
}

export function fromWireError(wire: WireError): VivaError {
  return new VivaError(wire.code, wire.message, wire.file)
}
