import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { spawnServe, tokenOf } from '../../main/testing/serveProcess'

export interface ServeHandle {
  url: string
  origin: string
  token: string
  dataDir: string
  /** The server's process id (benchmarks read its memory from /proc). */
  pid: number
  stop(): Promise<void>
}

const VIVA = path.resolve('main/cli/viva.mjs')

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `viva-e2e-${prefix}-`))
}

/** Generate a test dataset through the CLI, as a user would. */
export function makeFixture(out: string, args: string[]): void {
  const r = spawnSync('node', [VIVA, 'fixture', '--out', out, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`viva fixture failed: ${r.stderr}`)
}

/** Generate a simulated bimanual task dataset (3 cameras, 14-D state) through the CLI, as a user would. */
export function generateTaskFixture(out: string, args: string[]): void {
  const r = spawnSync('node', [VIVA, 'generate', '--out', out, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`viva generate failed: ${r.stderr}`)
}

/**
 * Episode lengths of a generated dataset: from a v2.1 meta/episodes.jsonl, or (v3.0, whose episodes table is
 * parquet) from the generator's ground truth.
 */
export function episodeLengths(dataset: string): number[] {
  const jsonl = path.join(dataset, 'meta', 'episodes.jsonl')
  if (!existsSync(jsonl)) {
    const truth = JSON.parse(readFileSync(path.join(dataset, 'meta', 'viva_ground_truth.json'), 'utf8')) as { dataset: { episodes: { length: number }[] } }
    return truth.dataset.episodes.map((e) => e.length)
  }
  return readFileSync(jsonl, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { length: number }).length)
}

/** A curve file (episode,frame,value) with one value per frame of each episode, as a user would import it. */
export function writeCurveCsv(file: string, lengths: readonly number[], value: (episode: number, frame: number) => number): string {
  const rows = ['episode,frame,value']
  lengths.forEach((length, episode) => {
    for (let f = 0; f < length; f++) rows.push(`${episode},${f},${value(episode, f)}`)
  })
  writeFileSync(file, `${rows.join('\n')}\n`)
  return file
}

/** Start `viva serve` on a random port and read the URL it prints. */
export async function serve(datasets: string[]): Promise<ServeHandle> {
  const dataDir = tempDir('data')
  const { child, url: parsed } = await spawnServe(datasets, dataDir)
  return {
    url: parsed.href,
    origin: parsed.origin,
    token: tokenOf(parsed),
    dataDir,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** GET with the path sent byte for byte (browsers and fetch normalize "..", which would hide what the server does). */
export function rawGet(origin: string, rawPath: string): Promise<number> {
  const u = new URL(origin)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, headers: { Host: u.host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}
