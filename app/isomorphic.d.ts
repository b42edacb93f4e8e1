// app/ is compiled with neither DOM nor Node types so it cannot reach for either. These few web-platform globals
// exist in both runtimes; declaring the slice we use keeps the layer honest without pulling in a whole lib.
declare class TextEncoder {
  encode(input?: string): Uint8Array
}
declare class TextDecoder {
  constructor(label?: string)
  decode(input?: ArrayBufferView | ArrayBuffer): string
}
interface AbortSignal {
  readonly aborted: boolean
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
}
