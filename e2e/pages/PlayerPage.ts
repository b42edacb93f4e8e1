import { expect, type Locator, type Page } from '@playwright/test'
import { frameCodeHeight, readFrameCode, type FrameCode } from '../../app/frameCode'

/** The dataset list and player, as a user sees them. */
export class PlayerPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url)
    await expect(this.page.getByRole('table', { name: 'Episodes' })).toBeVisible()
  }

  /** Import an annotation file through the Export / import dialog, as a user would; `preview` is what its preview must say. */
  async importAnnotations(file: string, preview: string | RegExp = 'events added'): Promise<void> {
    await this.page.getByRole('button', { name: 'Export / import…' }).click()
    const dialog = this.page.getByRole('dialog', { name: 'Export and import annotations' })
    await dialog.getByLabel('Annotation file').setInputFiles(file)
    await dialog.getByRole('button', { name: 'Preview' }).click()
    await expect(dialog.getByTestId('import-preview')).toContainText(preview)
    await dialog.getByRole('button', { name: 'Apply import' }).click()
    await expect(dialog.getByRole('status')).toContainText('Imported')
    await dialog.getByRole('button', { name: 'Close' }).click()
  }

  /** Import a curve file from the open episode's Models tab, as a user would; `count` curves must be imported. */
  async importCurves(file: string, count?: number): Promise<void> {
    await this.page.getByRole('tab', { name: 'Models' }).click()
    const input = this.page.getByRole('textbox', { name: 'Curve file' })
    await input.fill(file)
    await input.press('Enter')
    if (count !== undefined) await expect(this.page.getByTestId('import-curves-result')).toContainText(`Imported ${count} curves`)
  }

  async openEpisode(index: number): Promise<void> {
    await this.page.locator(`tr[data-episode="${index}"]`).click()
    await this.page.keyboard.press('Enter')
    await expect(this.page.locator(`.player-screen[data-episode="${index}"]`)).toBeVisible()
  }

  async uiFrame(): Promise<number> {
    return Number(await this.page.getByTestId('current-frame').textContent())
  }

  cameras(): Promise<string[]> {
    return this.page.locator('video[data-camera]').evaluateAll((els) => els.map((e) => e.getAttribute('data-camera') ?? ''))
  }

  /** Wait until the UI shows `frame` and every view reports it has presented that frame. */
  async waitSettled(frame?: number): Promise<number> {
    const target = frame ?? (await this.uiFrame())
    await expect(this.page.getByTestId('current-frame')).toHaveText(String(target))
    const n = await this.page.locator('video[data-camera]').count()
    await expect
      .poll(() =>
        this.page.locator('video[data-camera]').evaluateAll((els) =>
          els.map((v) => (v as HTMLVideoElement).dataset.presentedFrame ?? ''),
        ),
      )
      .toEqual(Array.from({ length: n }, () => String(target)))
    return target
  }

  /** Decode the frame code from each view's current pixels (what the user actually sees). */
  async viewCodes(): Promise<Record<string, FrameCode | null>> {
    const grabs = await this.page.locator('video[data-camera]').evaluateAll((els) =>
      els.map((el) => {
        const v = el as HTMLVideoElement
        const w = v.videoWidth
        const h = v.videoHeight
        const band = Math.min(h, Math.ceil(h * 0.3))
        const canvas = document.createElement('canvas')
        canvas.width = w
        canvas.height = band
        const ctx = canvas.getContext('2d', { willReadFrequently: true })
        if (!ctx || w === 0) return { camera: v.dataset.camera ?? '', w, h, data: '' }
        ctx.drawImage(v, 0, 0, w, band, 0, 0, w, band)
        const px = ctx.getImageData(0, 0, w, band).data
        let bin = ''
        for (let i = 0; i < px.length; i += 0x8000) bin += String.fromCharCode(...px.subarray(i, i + 0x8000))
        return { camera: v.dataset.camera ?? '', w, h, data: btoa(bin) }
      }),
    )
    const out: Record<string, FrameCode | null> = {}
    for (const g of grabs) {
      if (g.data === '') {
        out[g.camera] = null
        continue
      }
      const px = Buffer.from(g.data, 'base64')
      if (px.length < g.w * frameCodeHeight(g.h) * 4) throw new Error('grabbed band too small')
      out[g.camera] = readFrameCode(px, g.w, g.h, 4)
    }
    return out
  }

  /** The core acceptance check: every view's pixels show the frame the UI shows. */
  async expectViewsShowUiFrame(expectedEpisode?: number): Promise<number> {
    const frame = await this.waitSettled()
    const codes = await this.viewCodes()
    const cams = Object.keys(codes)
    expect(cams.length).toBeGreaterThan(0)
    for (const cam of cams) {
      expect(codes[cam], `view ${cam}`).not.toBeNull()
      expect(codes[cam]?.frame, `frame shown by ${cam}`).toBe(frame)
      if (expectedEpisode !== undefined) expect(codes[cam]?.episode, `episode shown by ${cam}`).toBe(expectedEpisode)
    }
    return frame
  }
  // ---- annotations

  /** Rows of the side panel's event list (suggestions excluded), in frame order. */
  eventRows(): Locator {
    return this.page.getByRole('list', { name: 'Events' }).locator('li.event-row')
  }

  eventFrames(): Promise<number[]> {
    return this.eventRows().evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-frame'))))
  }

  /** The frame field of the event with this id (rows move as frames change, ids do not). */
  eventFrameField(id: string): Locator {
    return this.page.locator(`li.event-row[data-event-id="${id}"]`).getByLabel('Event frame')
  }

  /** The id of the event shown at `frame` (the first one, if several). */
  async eventIdAt(frame: number): Promise<string> {
    const id = await this.eventRows().and(this.page.locator(`[data-frame="${frame}"]`)).first().getAttribute('data-event-id')
    if (!id) throw new Error(`no event at frame ${frame}`)
    return id
  }

  /** Click into an event's frame field and type over its value, key by key, as a user does. */
  async typeEventFrame(id: string, text: string): Promise<void> {
    const field = this.eventFrameField(id)
    await field.click()
    await expect(field).toBeFocused()
    await this.page.keyboard.press('ControlOrMeta+a')
    await this.page.keyboard.type(text)
  }

  /** The event's marker on the scrubber. */
  marker(id: string): Locator {
    return this.page.locator(`.scrubber .marker[data-event-id="${id}"]`)
  }

  // ---- models and value curves

  /** Show the Models tab of the side panel (models, scoring settings, jobs). */
  async openModelsPanel(): Promise<void> {
    await this.page.getByRole('tab', { name: 'Models' }).click()
    await expect(this.page.getByTestId('models-panel')).toBeVisible()
  }

  /** Back to the Annotations tab. */
  async openAnnotationsPanel(): Promise<void> {
    await this.page.getByRole('tab', { name: 'Annotations' }).click()
  }

  modelRow(name: string): Locator {
    return this.page.getByTestId(`model-row-${name}`)
  }

  async selectModel(name: string): Promise<void> {
    await this.openModelsPanel()
    await this.modelRow(name).click()
    await expect(this.modelRow(name)).toHaveAttribute('aria-selected', 'true')
  }

  /** Score the open episode with the selected model (or `model`); resolves once its job is listed. */
  async scoreEpisode(model?: string): Promise<void> {
    await this.startScore('score-episode', model)
  }

  /** Score every episode of the dataset with the selected model (or `model`). */
  async scoreAll(model?: string): Promise<void> {
    await this.startScore('score-all', model)
  }

  private async startScore(testId: 'score-episode' | 'score-all', model?: string): Promise<void> {
    if (model !== undefined) await this.selectModel(model)
    else await this.openModelsPanel()
    const before = await this.page.getByTestId('job-row').count()
    await expect(this.page.getByTestId(testId)).toBeEnabled()
    await this.page.getByTestId(testId).click()
    await expect(this.page.getByTestId('job-row')).toHaveCount(before + 1)
  }

  /**
   * A job row, in the panel's order: per model (newest first), its queued/running/paused/failed jobs newest first,
   * then its finished ones (behind "N finished"), newest first. With one model and one job at a time: newest first.
   */
  jobRow(index = 0): Locator {
    return this.page.getByTestId('job-row').nth(index)
  }

  async jobState(index = 0): Promise<string> {
    return (await this.jobRow(index).getAttribute('data-state')) ?? ''
  }

  /** Frames done and total of a job, as its row shows them ("framesDone/framesTotal"). */
  async jobProgress(index = 0): Promise<{ done: number; total: number }> {
    const text = (await this.jobRow(index).getByTestId('job-progress').textContent()) ?? ''
    const m = /(\d+)\s*\/\s*(\d+)/.exec(text)
    if (!m) throw new Error(`unreadable job progress: ${JSON.stringify(text)}`)
    return { done: Number(m[1]), total: Number(m[2]) }
  }

  /** Pause a running job (the button reads Pause) and wait until it says it is paused. */
  async pauseJob(index = 0): Promise<void> {
    const button = this.jobRow(index).getByTestId('job-pause')
    await expect(button).toHaveText('Pause')
    await button.click()
    await expect(this.jobRow(index)).toHaveAttribute('data-state', 'paused')
  }

  /** Resume a paused job (the same button, reading Resume). */
  async resumeJob(index = 0): Promise<void> {
    const button = this.jobRow(index).getByTestId('job-pause')
    await expect(button).toHaveText('Resume')
    await button.click()
    await expect(this.jobRow(index)).not.toHaveAttribute('data-state', 'paused')
  }

  async cancelJob(index = 0): Promise<void> {
    await this.jobRow(index).getByTestId('job-cancel').click()
    await expect(this.jobRow(index)).toHaveAttribute('data-state', 'cancelled')
  }

  /** Legend items of the value plot, one per curve of the open episode. */
  curveItems(): Locator {
    return this.page.getByTestId('value-plot-legend').locator('li[data-curve-id]')
  }

  curveIds(): Promise<string[]> {
    return this.curveItems().evaluateAll((els) => els.map((e) => e.getAttribute('data-curve-id') ?? ''))
  }

  /** How many frames of a curve (or of the first one) have a value in the renderer; 0 when no such curve is shown. */
  async curvePoints(curveId?: string): Promise<number> {
    const item =
      curveId === undefined ? this.curveItems().first() : this.page.getByTestId('value-plot-legend').locator(`li[data-curve-id="${curveId}"]`)
    if ((await item.count()) === 0) return 0
    return Number((await item.getAttribute('data-computed')) ?? '0')
  }

  /** Show or hide a curve with its legend checkbox. */
  async setCurveVisible(curveId: string, visible: boolean): Promise<void> {
    await this.page.getByTestId(`curve-toggle-${curveId}`).setChecked(visible)
  }
}
