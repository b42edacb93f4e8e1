import { expect, test, type Locator, type Page } from '@playwright/test'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { PlayerPage } from '../pages/PlayerPage'
import { generateTaskFixture, serve, tempDir, type ServeHandle } from '../support/server'

// Acceptance of the metrics view in the browser: a generated task dataset (3 short episodes at 10 fps, successes
// and a failure) gets its ground-truth annotations through the import dialog and is scored by both bundled models
// in the Models panel; the metrics view then shows the paper's table (a row per model plus the ground-truth row),
// switches the ERS variant, opens an episode at its worst event from the per-episode rows, and exports CSV.
const MODELS = ['viva-reference', 'baseline-reference']
const CSV_HEADER =
  'task,series,episodes,pearson,spearman,voc,MS,ES,MDR,ErrDR,auroc_mean,auroc_final,n_success,n_failure,n_milestones,n_errors,skipped_milestones,skipped_errors,variant,window_frames,window_seconds,fps'

interface GroundTruth {
  episodes: { episode: number; outcome: string }[]
  events: { episode: number; kind: string; label: string }[]
}

let fixtures: string
let dataset: string
let truthFile: string
let truth: GroundTruth
let tasks: string[]
let server: ServeHandle

test.beforeAll(() => {
  fixtures = tempDir('metrics')
  dataset = path.join(fixtures, 'task')
  // Seed 3 with failure rate 0.5 gives two successes and one failure (with an error event).
  generateTaskFixture(dataset, ['--episodes', '3', '--seed', '3', '--fps', '10', '--width', '160', '--height', '120', '--failure-rate', '0.5'])
  truthFile = path.join(dataset, 'meta', 'viva_ground_truth.json')
  truth = JSON.parse(readFileSync(truthFile, 'utf8')) as GroundTruth
  const lines = readFileSync(path.join(dataset, 'meta', 'episodes.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '')
  tasks = [...new Set(lines.map((l) => (JSON.parse(l) as { tasks: string[] }).tasks[0] ?? ''))]
})
test.afterAll(() => rmSync(fixtures, { recursive: true, force: true }))
test.beforeEach(async () => {
  server = await serve([dataset])
})
test.afterEach(async () => {
  await server.stop()
})

/** Import the generator's ground truth (outcomes, milestones, errors) through the Export / import dialog. */
async function importGroundTruth(page: Page): Promise<void> {
  await new PlayerPage(page).importAnnotations(truthFile, `${truth.events.length} events added`)
  await expect(page.locator('td[data-testid="outcome"]', { hasText: 'failure' })).toHaveCount(truth.episodes.filter((e) => e.outcome === 'failure').length)
}

/** Score every episode with each bundled model, one job after the other. */
async function scoreWithBothModels(player: PlayerPage): Promise<void> {
  for (const model of MODELS) {
    await player.scoreAll(model)
    await expect(player.jobRow(0)).toContainText(model)
    await expect(player.jobRow(0)).toHaveAttribute('data-state', 'done', { timeout: 90_000 })
  }
}

/** The cell of a column in a table row, as shown. */
function cell(row: Locator, column: string): Locator {
  return row.locator(`td[data-column="${column}"]`)
}

test('metrics view: a row per model and ground truth, variant switch, drill-down into the player, CSV export', async ({ page }) => {
  const consoleErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text())
  })
  page.on('pageerror', (err) => consoleErrors.push(`${err.name}: ${err.message}`))
  const failures = truth.episodes.filter((e) => e.outcome === 'failure').map((e) => e.episode)
  expect(failures.length).toBeGreaterThan(0)
  expect(truth.episodes.length - failures.length).toBeGreaterThan(0)
  expect(tasks).toHaveLength(1)

  const player = new PlayerPage(page)
  await player.open(server.url)
  await importGroundTruth(page)

  // ---- Before scoring: the view explains what it needs; ground truth alone is the reference row.
  await page.getByTestId('metrics-open').click()
  const view = page.getByTestId('metrics-view')
  await expect(view).toBeVisible()
  await expect(page.getByTestId('metrics-empty')).toContainText('No value curves to compare yet')
  await expect(page.getByTestId('metrics-table-0').locator('tbody tr')).toHaveCount(1)
  await expect(page.getByTestId('metrics-row-truth')).toBeVisible()

  // ---- Score with both bundled models from the player's Models panel.
  await page.getByRole('tab', { name: 'Episodes' }).click()
  await player.openEpisode(0)
  await scoreWithBothModels(player)

  // ---- Open the metrics view from the player: it computes afresh.
  await page.getByTestId('metrics-open').click()
  await expect(view).toBeVisible()
  await expect(page.getByTestId('metrics-empty')).toHaveCount(0)
  const table = page.getByTestId('metrics-table-0')
  await expect(table.locator('tbody tr.metrics-row')).toHaveCount(1 + MODELS.length)
  await expect(page.getByTestId('metrics-table-1')).toHaveCount(0)
  const modelRows = table.locator('tr.metrics-row[data-source="model"]')
  // Model curves are named after the model (plus its run settings, e.g. "viva-reference · 1 step").
  const names = (await modelRows.locator('td.series-name').allTextContents()).map((t) => t.replace(/^[▸▾]\s*/, '').trim())
  for (const model of MODELS) expect(names.filter((n) => n.startsWith(model)), names.join(', ')).toHaveLength(1)
  const truthRow = table.getByTestId('metrics-row-truth')
  await expect(truthRow).toHaveClass(/truth/)
  await expect(cell(truthRow, 'pearson')).toHaveText('1.000')
  await expect(cell(truthRow, 'spearman')).toHaveText('1.000')
  const nErrors = truth.events.filter((e) => e.kind === 'error').length
  await expect(cell(truthRow, 'events')).toContainText(` / ${nErrors}`)
  // Success/failure separation beside the paper's metrics: the ground truth separates the outcomes perfectly.
  await expect(cell(truthRow, 'meanLevel')).toHaveText('1.000')
  await expect(cell(truthRow, 'finalValue')).toHaveText('1.000')
  for (const c of ['meanLevel', 'finalValue']) await expect(modelRows.locator(`td[data-column="${c}"]`)).toHaveText([/^[01]\.\d{3}$/, /^[01]\.\d{3}$/])
  await expect(page.getByTestId('metrics-separation-note')).toContainText('ties counting one half')
  // Two models: each column has a best value among them (never the ground-truth row).
  await expect(table.locator('td.best[data-column="pearson"]')).toHaveCount(1)
  await expect(truthRow.locator('td.best')).toHaveCount(0)
  // The error-type distribution of the task.
  const errorLabels = [...new Set(truth.events.filter((e) => e.kind === 'error').map((e) => e.label))]
  await expect(page.getByTestId('error-types').locator('li')).toHaveCount(errorLabels.length)
  await expect(page.getByTestId('metrics-variant-label')).toContainText('Showing relative ERS')
  await expect(page.getByTestId('metrics-variant-label')).toContainText('relative divides by V_before')

  // ---- Switch to absolute ERS: the label and the event scores change; correlations do not.
  await expect(view).toHaveAttribute('data-variant', 'relative')
  const relativeMS = await cell(truthRow, 'MS').textContent()
  await page.getByTestId('metrics-variant').selectOption('absolute')
  await expect(view).toHaveAttribute('data-variant', 'absolute')
  await expect(page.getByTestId('metrics-variant-label')).toContainText('Showing absolute ERS')
  await expect(cell(truthRow, 'MS')).not.toHaveText(relativeMS ?? '')
  await expect(cell(truthRow, 'pearson')).toHaveText('1.000')
  // The default window is the paper's 5 frames at 30 fps as a duration: 1/6 s, 2 frames at this dataset's 10 fps.
  await expect(view).toHaveAttribute('data-window', '2')
  await expect(page.getByTestId('metrics-window-frames')).toHaveText('2 frames = 0.2 s at 10 fps')
  // A longer window, in seconds.
  await page.getByTestId('metrics-window').fill('0.3')
  await expect(view).toHaveAttribute('data-window', '3')
  await expect(page.getByTestId('metrics-window-frames')).toHaveText('3 frames = 0.3 s at 10 fps')
  await expect(view).toHaveAttribute('data-loading', 'false')

  // ---- Drill into the viva model's row and open the failure at its worst event.
  const vivaKey = (await modelRows.filter({ hasText: 'viva-reference' }).getAttribute('data-series')) ?? ''
  expect(vivaKey).toMatch(/^m:/)
  await page.getByTestId(`metrics-row-${vivaKey}`).click()
  await expect(page.getByTestId(`metrics-row-${vivaKey}`)).toHaveAttribute('aria-expanded', 'true')
  await expect(page.locator('[data-testid^="metrics-episode-row-"]')).toHaveCount(truth.episodes.length)
  // Sortable: Pearson best first, then reversed.
  await page.getByTestId('metrics-sort-pearson').click()
  const pearsons = async (): Promise<number[]> =>
    (await page.locator('[data-testid^="metrics-episode-row-"] td[data-column="pearson"]').allTextContents()).map((t) => Number(t.replace('−', '-')))
  const desc = await pearsons()
  expect(desc).toEqual([...desc].sort((a, b) => b - a))
  await page.getByTestId('metrics-sort-pearson').click()
  expect(await pearsons()).toEqual([...desc].reverse())

  const target = failures[0] as number
  const row = page.getByTestId(`metrics-episode-row-${target}`)
  await expect(row).toContainText('failure')
  const worstFrame = Number(await row.getAttribute('data-worst-frame'))
  expect(Number.isInteger(worstFrame) && worstFrame > 0, `worst event frame ${worstFrame}`).toBe(true)
  await row.click()
  await expect(page.locator(`.player-screen[data-episode="${target}"]`)).toBeVisible()
  // Every camera view presents that frame (not the frame 0 an episode opens at).
  await player.waitSettled(worstFrame)
  // The value panel's detector is calibrated on the three annotated episodes, with P/R and chance beside it.
  await expect(page.getByTestId('detector-calibration')).toContainText(/P \d\.\d\d \/ R \d\.\d\d on 3 annotated episodes, cross-validated \(3-fold/, { timeout: 30_000 })
  await expect(page.getByTestId('detector-calibration')).toContainText('shifted at random P')

  // ---- Back to the metrics (from the player), export CSV and JSON.
  await page.getByTestId('metrics-open').click()
  await expect(view).toBeVisible()
  await expect(view).toHaveAttribute('data-variant', 'absolute')
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('metrics-export-csv').click()])
  expect(csv.suggestedFilename()).toMatch(/-metrics-absolute-w3\.csv$/)
  const csvText = readFileSync((await csv.path()) ?? '', 'utf8')
  const lines = csvText.trimEnd().split('\n')
  expect(lines[0]).toBe(CSV_HEADER)
  expect(lines).toHaveLength(1 + tasks.length * (1 + MODELS.length))
  const series = lines.slice(1).map((l) => l.split(','))
  const csvNames = series.map((f) => f[1] ?? '')
  expect(csvNames.filter((n) => n === 'ground truth')).toHaveLength(1)
  for (const model of MODELS) expect(csvNames.filter((n) => n.startsWith(model)), csvNames.join(', ')).toHaveLength(1)
  for (const f of series) expect(f.slice(-4)).toEqual(['absolute', '3', '0.3', '10'])
  expect(Number(series.find((f) => f[1] === 'ground truth')?.[3])).toBeCloseTo(1, 9)

  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('metrics-export-json').click()])
  expect(json.suggestedFilename()).toMatch(/\.json$/)
  const report = JSON.parse(readFileSync((await json.path()) ?? '', 'utf8')) as { variant: string; window: number; windowSeconds: number; fps: number; episodes: unknown[] }
  expect(report).toMatchObject({ variant: 'absolute', window: 3, windowSeconds: 0.3, fps: 10, windowRequested: { seconds: 0.3 } })
  expect(report.episodes).toHaveLength(truth.episodes.length * (1 + MODELS.length))

  expect(consoleErrors).toEqual([])
})
