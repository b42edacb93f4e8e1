import { readdir, readFile, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { VivaError } from '../../app/errors'

/**
 * What a user may type to open a dataset: a folder, or a Hugging Face repo id (`lerobot/aloha_static_cups_open`,
 * optionally `@revision`) that names a dataset already downloaded into the local Hugging Face cache. Each way of
 * finding one is a DatasetLocator; they are asked in order, and when none has it the error lists every place that
 * was looked at. A downloader (network) would be one more locator at the end of the chain, answering with the
 * folder it downloaded to; nothing else would change.
 */

export type LocateOutcome =
  | { found: true; root: string; /** How it was found, for the log and the dataset note. */ via: string }
  | { found: false; /** Every place looked at, as absolute paths or short descriptions. */ looked: string[] }

export interface DatasetLocator {
  /** Whether `spec` is something this locator understands (a repo id, a URL...). */
  accepts(spec: string): boolean
  locate(spec: string, signal?: AbortSignal): Promise<LocateOutcome>
}

/**
 * A Hugging Face repo id as the Hub accepts them: letters, digits, `-`, `_`, `.`, at most 96 characters a part, no
 * `--` or `..` (huggingface/huggingface_hub, src/huggingface_hub/utils/_validators.py, REPO_ID_REGEX and
 * validate_repo_id). The namespace is required here (LeRobot datasets always have one, and a bare name is more
 * likely a mistyped folder); `@revision` optionally names a branch, a tag such as LeRobot's `v2.1`, or a commit.
 */
const REPO_ID = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,95})\/([A-Za-z0-9][A-Za-z0-9_.-]{0,95})(?:@([A-Za-z0-9][A-Za-z0-9_./-]{0,199}))?$/

export interface RepoSpec {
  repoId: string
  namespace: string
  name: string
  revision: string | null
}

export function parseRepoSpec(spec: string): RepoSpec | null {
  const m = REPO_ID.exec(spec.trim())
  if (!m) return null
  const [, namespace = '', name = '', revision] = m
  if (`${namespace}/${name}`.includes('--') || `${namespace}/${name}`.includes('..') || revision?.includes('..')) return null
  return { repoId: `${namespace}/${name}`, namespace, name, revision: revision ?? null }
}

export interface HfCacheEnv {
  HF_LEROBOT_HOME?: string | undefined
  HF_HOME?: string | undefined
  XDG_CACHE_HOME?: string | undefined
  HF_HUB_CACHE?: string | undefined
  HUGGINGFACE_HUB_CACHE?: string | undefined
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p
}

/**
 * The cache folders, as LeRobot and huggingface_hub compute them:
 * - HF_HOME = $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
 *   (huggingface/huggingface_hub, src/huggingface_hub/constants.py: `default_home`, `HF_HOME`);
 * - LeRobot's home = $HF_LEROBOT_HOME, else HF_HOME/lerobot; datasets live at <home>/<repo_id>; newer LeRobot
 *   keeps its own revision-safe snapshot cache at <home>/hub (huggingface/lerobot, src/lerobot/utils/constants.py:
 *   `HF_LEROBOT_HOME`, `HF_LEROBOT_HUB_CACHE`);
 * - the hub cache = $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else HF_HOME/hub (constants.py `HF_HUB_CACHE`).
 */
export function hfCacheDirs(env: HfCacheEnv, home: string = os.homedir()): { lerobotHome: string; hubCaches: string[] } {
  // A variable set to nothing is taken as unset (an empty path would name the working directory).
  const v = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined)
  const hfHome = expandHome(v(env.HF_HOME) ?? path.join(v(env.XDG_CACHE_HOME) ?? path.join(home, '.cache'), 'huggingface'), home)
  const lerobotHome = expandHome(v(env.HF_LEROBOT_HOME) ?? path.join(hfHome, 'lerobot'), home)
  const hub = expandHome(v(env.HF_HUB_CACHE) ?? v(env.HUGGINGFACE_HUB_CACHE) ?? path.join(hfHome, 'hub'), home)
  return { lerobotHome, hubCaches: [...new Set([path.join(lerobotHome, 'hub'), hub])] }
}

async function isDataset(dir: string): Promise<boolean> {
  return stat(path.join(dir, 'meta', 'info.json')).then(
    (s) => s.isFile(),
    () => false,
  )
}

/**
 * A snapshot of a repo in a huggingface_hub cache: `<cache>/datasets--<namespace>--<name>/snapshots/<commit>/`
 * (file_download.py `repo_folder_name`: the repo type pluralised and the id's `/` as `--`), with `refs/<branch or
 * tag>` files holding the commit a revision points at. Without a revision: `refs/main`, else the snapshot changed
 * last that holds a dataset.
 */
async function hubSnapshot(cache: string, repo: RepoSpec): Promise<{ dir: string | null; looked: string }> {
  const repoDir = path.join(cache, `datasets--${repo.namespace}--${repo.name}`)
  const snapshots = path.join(repoDir, 'snapshots')
  const looked = `${snapshots}${path.sep}${repo.revision ?? '<main or latest>'}`
  const ref = async (name: string): Promise<string | null> =>
    readFile(path.join(repoDir, 'refs', name), 'utf8').then(
      (t) => t.trim() || null,
      () => null,
    )
  const tryDir = async (commit: string | null): Promise<string | null> => {
    if (commit === null || commit.includes('/') || commit.includes('..')) return null
    const dir = path.join(snapshots, commit)
    return (await isDataset(dir)) ? dir : null
  }
  if (repo.revision !== null) {
    const dir = (await tryDir(await ref(repo.revision))) ?? (await tryDir(repo.revision))
    return { dir, looked }
  }
  const main = await tryDir(await ref('main'))
  if (main) return { dir: main, looked }
  let names: string[]
  try {
    names = await readdir(snapshots)
  } catch {
    return { dir: null, looked }
  }
  let best: { dir: string; mtime: number } | null = null
  for (const name of names) {
    const dir = await tryDir(name)
    if (!dir) continue
    const mtime = (await stat(dir)).mtimeMs
    if (!best || mtime > best.mtime) best = { dir, mtime }
  }
  return { dir: best?.dir ?? null, looked }
}

/** Datasets already downloaded into the local Hugging Face cache, found by repo id (no network). */
export class HfCacheLocator implements DatasetLocator {
  constructor(
    private readonly env: HfCacheEnv,
    private readonly home: string = os.homedir(),
  ) {}

  accepts(spec: string): boolean {
    return parseRepoSpec(spec) !== null
  }

  async locate(spec: string): Promise<LocateOutcome> {
    const repo = parseRepoSpec(spec)
    if (!repo) return { found: false, looked: [] }
    const { lerobotHome, hubCaches } = hfCacheDirs(this.env, this.home)
    const looked: string[] = []
    // LeRobotDataset(repo_id) with no root reads (and downloads to) <HF_LEROBOT_HOME>/<repo_id>: a revision there is
    // whatever was downloaded last, so it is taken only when no revision was asked for.
    const plain = path.join(lerobotHome, repo.namespace, repo.name)
    if (repo.revision === null) {
      looked.push(plain)
      if (await isDataset(plain)) return { found: true, root: plain, via: `the LeRobot cache (${lerobotHome})` }
    }
    for (const cache of hubCaches) {
      const { dir, looked: where } = await hubSnapshot(cache, repo)
      looked.push(where)
      if (dir) return { found: true, root: dir, via: `the Hugging Face hub cache (${cache})` }
    }
    return { found: false, looked }
  }
}

/**
 * The folder a typed spec names: an existing path as is; else the first locator that finds it. Throws NOT_FOUND
 * saying exactly where it looked, and how to get the dataset there, when nothing does.
 */
export async function resolveDatasetSpec(spec: string, locators: readonly DatasetLocator[], cwd: string = process.cwd()): Promise<{ root: string; via: string | null }> {
  const asPath = path.resolve(cwd, spec)
  const exists = await stat(asPath).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code !== 'ENOENT' && err.code !== 'ENOTDIR',
  )
  const accepting = locators.filter((l) => l.accepts(spec))
  // A folder that exists wins, and so does anything no locator understands (the reader names what is wrong).
  if (exists || accepting.length === 0) return { root: asPath, via: null }
  const looked: string[] = [asPath]
  for (const locator of accepting) {
    const outcome = await locator.locate(spec)
    if (outcome.found) return { root: outcome.root, via: outcome.via }
    looked.push(...outcome.looked)
  }
  const repo = parseRepoSpec(spec)
  const hint = repo
    ? ` Download it first, e.g. \`huggingface-cli download ${repo.repoId} --repo-type dataset${repo.revision ? ` --revision ${repo.revision}` : ''}\`` +
      ' (or LeRobot\'s own loader), or set HF_LEROBOT_HOME / HF_HOME to where it is; ViVa Studio does not download.'
    : ''
  throw new VivaError('NOT_FOUND', `${spec} is not a folder here, nor a dataset in the local Hugging Face cache. Looked in: ${looked.join(', ')}.${hint}`)
}

/**
 * For a folder inside a huggingface_hub cache snapshot (`…/datasets--ns--name/snapshots/<commit>`), the repo's
 * folder: the snapshot's files are symlinks into its `blobs/`, so that is where their real paths must stay. Null
 * for any other folder.
 */
export function hubRepoDir(root: string): string | null {
  const snapshots = path.dirname(root)
  const repoDir = path.dirname(snapshots)
  return path.basename(snapshots) === 'snapshots' && /^datasets--.+--.+$/.test(path.basename(repoDir)) ? repoDir : null
}
