import { expect, test } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { PlayerPage } from '../pages/PlayerPage'
import { episodeLengths, generateTaskFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Issue 18 from the UI: the export dialog's Training pipelines section writes LeRobot's sarm_progress.parquet for
// a generated task dataset annotated with its ground truth, a Label Studio timeline that checks back as the same
// milestones, and a copy of the dataset with SARM subtask annotations.

let fixtures: string
let dataset: string
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('pipelines')
  dataset = path.join(fixtures, 'task')
  // v3.0: SARM's annotations live in its meta/episodes parquet files.
  generateTaskFixture(dataset, ['--episodes', '3', '--seed', '3', '--fps', '10', '--width', '96', '--height', '72', '--failure-rate', '0.5', '--format', 'v3.0'])
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

test('Training pipelines: RA-BC progress file and a Label Studio timeline from the export dialog', async ({ page }) => {
  const player = new PlayerPage(page)
  await player.open(server.url)
  await player.importAnnotations(path.join(dataset, 'meta', 'viva_ground_truth.json'))

  await page.getByRole('button', { name: 'Export / import…' }).click()
  const section = page.getByRole('dialog', { name: 'Export and import annotations' }).getByTestId('pipeline-exports')
  await expect(section.getByTestId('pipeline-format')).toHaveValue('lerobot-progress')
  const out = path.join(fixtures, 'progress')
  await section.getByTestId('pipeline-out').fill(out)
  await section.getByTestId('pipeline-export').click()
  const file = path.join(out, 'sarm_progress.parquet')
  await expect(section.getByTestId('pipeline-result')).toContainText(`Wrote ${file} (3 episodes`)

  const bytes = readFileSync(file)
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  expect(parquetMetadata(buffer).schema.slice(1).map((e) => e.name)).toEqual(['index', 'episode_index', 'frame_index', 'progress_sparse'])
  const rows = await parquetReadObjects({ file: buffer })
  const lengths = episodeLengths(dataset)
  expect(rows).toHaveLength(lengths.reduce((a, b) => a + b, 0))
  expect(rows.map((r) => Number(r.index))).toEqual([...rows.keys()])
  // Episode 0 succeeds: its progress ends at 1; every frame has a value.
  expect(rows.filter((r) => r.episode_index === 0n).at(-1)?.progress_sparse).toBe(1)
  expect(rows.every((r) => Number.isFinite(r.progress_sparse))).toBe(true)

  await section.getByTestId('pipeline-format').selectOption('label-studio')
  const tasks = path.join(fixtures, 'label-studio.json')
  await section.getByTestId('pipeline-out').fill(tasks)
  await section.getByTestId('pipeline-export').click()
  await expect(section.getByTestId('pipeline-result')).toContainText(`Wrote ${tasks}`)
  await section.getByTestId('label-studio-file').setInputFiles(tasks)
  await section.getByRole('button', { name: 'Check timeline' }).click()
  await expect(section.getByTestId('label-studio-preview')).toContainText('0 milestones added, 0 removed, 9 already there in 3 episodes')

  await section.getByTestId('pipeline-format').selectOption('lerobot-sarm')
  const sarm = path.join(fixtures, 'sarm')
  await section.getByTestId('pipeline-out').fill(sarm)
  await section.getByTestId('pipeline-export').click()
  const result = section.getByTestId('pipeline-result')
  await expect(result).toContainText(`Wrote ${sarm} (3 episodes`)
  await expect(result).toContainText('--reward_model.type=sarm --reward_model.annotation_mode=dense_only')
  const truth = JSON.parse(readFileSync(path.join(dataset, 'meta', 'viva_ground_truth.json'), 'utf8')) as { taxonomies: { milestones: string[] }[] }
  const proportions = JSON.parse(readFileSync(path.join(sarm, 'meta', 'temporal_proportions_dense.json'), 'utf8')) as Record<string, number>
  expect(Object.keys(proportions)).toEqual(truth.taxonomies[0]?.milestones)
})

test("SARM subtasks in a dataset come back as milestones from the dialog: checked first, then imported", async ({ page }) => {
  // A SARM copy made by the CLI from the annotated dataset (its own data folder), then served on its own.
  const dataDir = tempDir('sarm-cli')
  const copy = path.join(fixtures, 'sarm-served')
  const viva = (...args: string[]) => spawnSync('node', [path.resolve('main/cli/viva.mjs'), ...args, '--data-dir', dataDir], { encoding: 'utf8' })
  expect(viva('import', dataset, path.join(dataset, 'meta', 'viva_ground_truth.json')).status).toBe(0)
  const exported = viva('export', dataset, '--format', 'lerobot-sarm', '--out', copy)
  expect(exported.status, exported.stderr).toBe(0)
  const truth = JSON.parse(readFileSync(path.join(dataset, 'meta', 'viva_ground_truth.json'), 'utf8')) as { events: { kind: string }[]; taxonomies: { milestones: string[] }[] }
  const milestones = truth.events.filter((e) => e.kind === 'milestone').length
  await server.stop()
  server = await serve([copy])
  try {
    const player = new PlayerPage(page)
    await player.open(server.url)
    await expect(page.getByTestId('milestone-count').filter({ hasText: /[1-9]/ })).toHaveCount(0)
    await page.getByRole('button', { name: 'Export / import…' }).click()
    const section = page.getByRole('dialog', { name: 'Export and import annotations' }).getByTestId('pipeline-exports')
    await section.getByTestId('sarm-check').click()
    await expect(section.getByTestId('sarm-preview')).toContainText(`Check (dense, merge): ${milestones} milestones added`)
    await expect(section.getByTestId('sarm-preview')).toContainText(`new taxonomy (${truth.taxonomies[0]?.milestones.join(', ')})`)
    await section.getByTestId('sarm-import').click()
    await expect(section.getByTestId('sarm-imported')).toContainText(`${milestones} milestones added`)
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('milestone-count').filter({ hasText: /[1-9]/ })).not.toHaveCount(0)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
