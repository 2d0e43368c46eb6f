// The status page: its chart arithmetic (run from the very script text the browser gets) and the page
// itself in real Chromium against a real collector and operator — an empty state before any pixel,
// then a few pixels that must show up as lines, a legend and whole-number axis labels.
import { rmSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { chromiumArgs, chromiumPath } from '../../../scripts/chromium.ts';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { STATUS_CHART_JS } from '../src/status/page.ts';
import { see, pixelUrl } from './helpers/http.ts';
import { collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

interface Sample { at: number; totals: Record<string, number> }
interface Chart {
  niceTicks(max: number): number[];
  formatCount(v: number): string;
  formatRate(r: number): string;
  addSample(history: Sample[], sample: Sample, windowMs: number): Sample[];
  ratePerSecond(history: Sample[], segment: string, spanMs: number): number;
}
const chart = runInNewContext(`${STATUS_CHART_JS}; ({ niceTicks, formatCount, formatRate, addSample, ratePerSecond })`) as Chart;
const labels = (max: number) => chart.niceTicks(max).map(chart.formatCount);

describe('chart arithmetic', () => {
  it('small counts get one tick per whole number from 0 (the "1, 1, 1, 0, 0" axis of before)', () => {
    expect(labels(0)).toEqual(['0', '1']);
    expect(labels(1)).toEqual(['0', '1']);
    expect(labels(0.4)).toEqual(['0', '1']);
    expect(labels(3)).toEqual(['0', '1', '2', '3']);
    expect(labels(5)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('larger counts step by 1, 2 or 5 times a power of ten', () => {
    expect(labels(7)).toEqual(['0', '2', '4', '6', '8']);
    expect(labels(1234)).toEqual(['0', '500', '1000', '1500']);
    expect(labels(48_000)).toEqual(['0', '20k', '40k', '60k']);
    expect(labels(1_200_000)).toEqual(['0', '500k', '1M', '1.5M']);
  });

  it('for any maximum: whole ascending ticks from 0 that cover it, 2 to 6 of them, no two labels alike', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, max: 1e12, noNaN: true })), (max) => {
      const ticks = chart.niceTicks(max);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(6);
      for (let i = 1; i < ticks.length; i++) {
        expect(Number.isInteger(ticks[i])).toBe(true);
        expect(ticks[i]!).toBeGreaterThan(ticks[i - 1]!);
      }
      const text = ticks.map(chart.formatCount);
      expect(new Set(text).size).toBe(text.length);
    }), { numRuns: 2000 });
  });

  it('keeps the window plus one sample before it, restarts after a counter reset, and averages the rate', () => {
    const h: Sample[] = [];
    for (let s = 0; s <= 100; s += 2) chart.addSample(h, { at: s * 1000, totals: { a: s, b: 7 } }, 31_000);
    expect(h[0]!.at).toBe(68_000); // the last one before the window (69 s to 100 s)
    expect(h.at(-1)!.at).toBe(100_000);
    expect(chart.ratePerSecond(h, 'a', 10_000)).toBeCloseTo(1);
    expect(chart.ratePerSecond(h, 'b', 10_000)).toBe(0);
    expect(chart.ratePerSecond(h, 'missing', 10_000)).toBe(0);
    chart.addSample(h, { at: 102_000, totals: { a: 3, b: 7 } }, 31_000); // the collector restarted
    expect(h).toEqual([{ at: 102_000, totals: { a: 3, b: 7 } }]);
    expect(chart.ratePerSecond(h, 'a', 10_000)).toBe(0);
    expect(chart.ratePerSecond([], 'a', 10_000)).toBe(0);
    expect([chart.formatRate(0), chart.formatRate(0.25), chart.formatRate(123.4)]).toEqual(['0/s', '0.3/s', '123/s']);
  });
});

describe('status page in Chromium', () => {
  let op: TestOperator;
  let collector: RunningCollector;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let acme: SharingClient;
  let bidwell: SharingClient;
  const errors: string[] = [];

  beforeAll(async () => {
    op = await startTestOperator();
    dataDir = tempDir();
    collector = await startCollector({ config: collectorConfig(op, dataDir) });
    [acme, bidwell] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell)]);
    for (let i = 0; i < 100 && !collector.sharing?.isReady; i++) await new Promise((r) => setTimeout(r, 50));
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.close();
    await op?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Pixels of the canvas within a small distance of a CSS rgb() colour (lines are anti-aliased). */
  const pixelsOf = (rgb: string) => page.evaluate((css) => {
    const [r, g, b] = css.match(/\d+/g)!.map(Number) as [number, number, number];
    const c = document.getElementById('events') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r) + Math.abs(d[i + 1]! - g) + Math.abs(d[i + 2]! - b) < 40 && d[i + 3]! > 200) n++;
    return n;
  }, rgb);

  it('says so when no event has been written yet', async () => {
    await page.goto(`${collector.url}/status`);
    await expect.poll(() => page.locator('#events').getAttribute('aria-label')).toBe('no events written yet');
    expect(await page.locator('#legend li').count()).toBe(0);
  });

  it('a handful of pixels show as one line per segment, with a legend and whole-number ticks', async () => {
    for (let i = 0; i < 3; i++) expect((await see(pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(acme, makeRawUid()) }))).status).toBe(200);
    expect((await see(pixelUrl(collector.url, 'impression', { uid2_token: encryptFor(bidwell, makeRawUid()) }))).status).toBe(200);

    await expect.poll(() => page.locator('#events').getAttribute('aria-label'), { timeout: 10_000 })
      .toBe('events written by segment: acme-converters 3, bidwell-impressions 1');
    expect(await page.locator('#events').getAttribute('data-ticks')).toBe('0,1,2,3');
    const legend = page.locator('#legend li');
    expect(await legend.allTextContents()).toEqual([
      expect.stringMatching(/^acme-converters3 total · \d+(\.\d)?\/s$/),
      expect.stringMatching(/^bidwell-impressions1 total · \d+(\.\d)?\/s$/),
    ]);
    // Each segment's colour in the legend is drawn on the canvas, and the two differ.
    const colours = await page.locator('#legend .sw').evaluateAll((els) => els.map((e) => (e as HTMLElement).style.backgroundColor));
    expect(new Set(colours).size).toBe(2);
    for (const colour of colours) expect(await pixelsOf(colour)).toBeGreaterThan(200);
    expect(errors).toEqual([]);
  });
});
