// The two IPC channels of the shell. Method names travel inside them and are checked against the contract.
export const IPC_CALL = 'viva:call'
export const IPC_EVENT = 'viva:event'
export const MEDIA_SCHEME = 'viva-media'
export const APP_SCHEME = 'viva-app'
