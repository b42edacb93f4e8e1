import { expect, type Page } from '@playwright/test'
import { frameCodeHeight, readFrameCode, type FrameCode } from '../../app/frameCode'

/** The dataset list and player, as a user sees them. */
export class PlayerPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url)
    await expect(this.page.getByRole('table', { name: 'Episodes' })).toBeVisible()
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
}
