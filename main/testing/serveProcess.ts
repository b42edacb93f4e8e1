import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import WebSocket from 'ws'
import type { VivaClient } from '../../app/contract'
import { createRpcClient } from '../../app/rpc'
import { PACKAGE_ROOT } from '../paths'
import { rpcPortFromWebSocket } from '../server/wsPort'

/** `viva serve` in its own process (so a test can kill -9 it) with a contract client connected as the renderer is. */
export interface ServeProcess {
  child: ChildProcess
  /** The URL the process printed. */
  url: URL
  token: string
  client: VivaClient
  /** Resolves when the connection is gone (the server stopped or was killed). */
  closed: Promise<void>
  /** Another connection, as a second browser tab would open. */
  connect(): Promise<VivaClient & { close(): void }>
  /** Everything the process wrote to stderr so far. */
  stderr(): string
  stop(): Promise<void>
}

const VIVA = path.join(PACKAGE_ROOT, 'main', 'cli', 'viva.mjs')

/** The session token of a URL `viva serve` printed: its path `/s/<token>/`, or the older `/?token=<token>`. */
export function tokenOf(url: URL): string {
  const m = /^\/s\/([^/]+)\//.exec(url.pathname)
  return m?.[1] ? decodeURIComponent(m[1]) : (url.searchParams.get('token') ?? '')
}

/** Start `viva serve` on a random port and read the URL (with its token) it prints. */
export async function spawnServe(
  datasets: string[],
  dataDir: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: URL; stdout(): string; stderr(): string }> {
  const child = spawn(process.execPath, [VIVA, 'serve', ...datasets, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  })
  let out = ''
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c))
  const url = await new Promise<URL>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(out)
      if (m?.[1]) resolve(new URL(m[1]))
    })
    child.once('exit', (code, signal) => reject(new Error(`viva serve exited (${code ?? signal}) before listening: ${err}`)))
  })
  return { child, url, stdout: () => out, stderr: () => err }
}

async function connectTo(url: URL): Promise<{ ws: WebSocket; client: VivaClient & { close(): void } }> {
  const ws = new WebSocket(`ws://${url.host}/rpc?token=${encodeURIComponent(tokenOf(url))}`)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const rpc = createRpcClient(rpcPortFromWebSocket(ws), () => '')
  return {
    ws,
    client: {
      ...rpc,
      close: () => {
        rpc.close()
        ws.close()
      },
    },
  }
}

export async function startServeProcess(datasets: string[], dataDir: string, env?: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const { child, url, stderr } = await spawnServe(datasets, dataDir, env)
  const { ws, client } = await connectTo(url)
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
  return {
    child,
    url,
    token: tokenOf(url),
    client,
    closed,
    connect: async () => (await connectTo(url)).client,
    stderr,
    stop: async () => {
      ws.close()
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
    },
  }
}
