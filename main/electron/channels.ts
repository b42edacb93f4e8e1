// The shell's IPC channels. The page asks for its RPC port on IPC_CONNECT and gets a MessagePort on IPC_PORT;
// every call, cancel, event and notice then travels on that port (main/rpc/serveRpc.ts), checked against the
// contract there.
export const IPC_CONNECT = 'viva:connect'
export const IPC_PORT = 'viva:port'
export const MEDIA_SCHEME = 'viva-media'
export const APP_SCHEME = 'viva-app'
