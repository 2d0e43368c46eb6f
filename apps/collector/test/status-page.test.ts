// The status page: its chart arithmetic (run from the very script text the browser gets), its
// server-side history and live-member counts, and the page itself in real Chromium against a real
// collector and operator: an empty state before any pixel; then, opened late, the history since start,
// two segments with equal totals whose lines both stay visible, outcomes by sender, and a layout that
// holds from 360 px to a wide screen.
import { rmSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { chromiumArgs, chromiumPath } from '../../../scripts/chromium.ts';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { StatusHistory, type HistorySample } from '../src/status/history.ts';
import type { StatusData } from '../src/status/data.ts';
import { STATUS_CHART_JS } from '../src/status/page.ts';
import { adminJson, see, pixelUrl } from './helpers/http.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, optOutUser, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';

interface Chart {
  niceTicks(max: number): number[];
  formatCount(v: number): string;
  countInLast(samples: HistorySample[], group: 'segments' | 'outcomes', key: string, spanMs: number): number;
  strokeOf(i: number, n: number): { width: number; dash: string };
}
const chart = runInNewContext(`${STATUS_CHART_JS}; ({ niceTicks, formatCount, countInLast, strokeOf })`) as Chart;
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

  it('counts whole events in the last minute, from the start when the run is younger than that', () => {
    const h: HistorySample[] = [];
    for (let s = 0; s <= 100; s += 2) h.push({ at: s * 1000, segments: { a: s, b: 7 }, outcomes: {} });
    expect(chart.countInLast(h, 'segments', 'a', 60_000)).toBe(60); // 100 - 40
    expect(chart.countInLast(h, 'segments', 'b', 60_000)).toBe(0);
    expect(chart.countInLast(h, 'segments', 'missing', 60_000)).toBe(0);
    // Five orders in the first ten seconds: five, not "0/s".
    const young: HistorySample[] = [{ at: 0, segments: {}, outcomes: {} }, { at: 10_000, segments: { a: 5 }, outcomes: {} }];
    expect(chart.countInLast(young, 'segments', 'a', 60_000)).toBe(5);
    expect(chart.countInLast([], 'segments', 'a', 60_000)).toBe(0);
  });

  it('draws each line wider than the ones after it, every other one dashed, so equal lines stay visible', () => {
    const strokes = [0, 1, 2].map((i) => chart.strokeOf(i, 3));
    expect(strokes.map((s) => s.width)).toEqual([8.5, 5.5, 2.5]);
    expect(strokes.map((s) => s.dash !== '')).toEqual([false, true, false]);
  });
});

describe('history since start', () => {
  it('keeps every sample until full, then every other one at twice the interval, first and newest kept', async () => {
    let t = 1000;
    let n = 0;
    const history = new StatusHistory({ sample: async () => ({ segments: { a: n++ }, outcomes: {} }), capacity: 16, intervalMs: 2000, now: () => t });
    for (let i = 0; i < 17; i++) {
      await history.takeSample();
      t += 2000;
    }
    const snap = history.snapshot();
    expect(snap.startedAt).toBe(1000);
    expect(snap.intervalMs).toBe(4000);
    expect(snap.samples.length).toBeLessThanOrEqual(16);
    expect(snap.samples[0]!.segments.a).toBe(0);
    expect(snap.samples.at(-1)!.segments.a).toBe(16);
    for (let i = 1; i < snap.samples.length; i++) expect(snap.samples[i]!.at).toBeGreaterThan(snap.samples[i - 1]!.at);
    // A long run stays bounded.
    for (let i = 0; i < 1000; i++) await history.takeSample();
    expect(history.snapshot().samples.length).toBeLessThanOrEqual(16);
    expect(history.snapshot().samples[0]!.at).toBe(1000);
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
  let rival: SharingClient;
  const errors: string[] = [];

  beforeAll(async () => {
    op = await startTestOperator();
    dataDir = tempDir();
    collector = await startCollector({ config: collectorConfig(op, dataDir, { adminToken: ADMIN_TOKEN }) });
    [acme, bidwell, rival] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell), sender(op, SITES.rival)]);
    await untilSharingReady(collector);
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

  /** Pixels of the events chart within a small distance of a CSS colour (lines are anti-aliased). */
  const pixelsOf = (p: Page, color: string) => p.evaluate(async (css) => {
    const svg = document.querySelector('#events svg') as SVGSVGElement;
    const img = new Image();
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await img.decode();
    const c = document.createElement('canvas');
    c.width = svg.width.baseVal.value;
    c.height = svg.height.baseVal.value;
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = css;
    probe.fillRect(0, 0, 1, 1);
    const [r, gr, b] = probe.getImageData(0, 0, 1, 1).data;
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r!) + Math.abs(d[i + 1]! - gr!) + Math.abs(d[i + 2]! - b!) < 40 && d[i + 3]! > 200) n++;
    return n;
  }, color);

  const noHorizontalOverflow = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it('says so when no event has been written yet', async () => {
    await page.goto(`${collector.url}/status`);
    await expect.poll(() => page.getByTestId('events-chart').getAttribute('aria-label')).toBe('No events written yet: they appear here as pixels arrive.');
    expect(await page.locator('#legend li').count()).toBe(0);
  });

  it('opened after the pixels, shows them since start: equal lines both visible, rates in whole events, outcomes by sender', async () => {
    // Both senders' pixels at once, so the two segments' totals rise together.
    const pixels = [0, 1].flatMap(() => [
      pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(acme, makeRawUid()) }),
      pixelUrl(collector.url, 'impression', { uid2_token: encryptFor(bidwell, makeRawUid()) }),
    ]);
    for (const answer of await Promise.all(pixels.map((url) => see(url)))) expect(answer.status).toBe(200);
    // A sender the collector holds no key of: its pixel fails to decrypt, from an unknown sender.
    expect((await see(pixelUrl(collector.url, 'conversion', { uid2_token: encryptFor(rival, makeRawUid()) }))).status).toBe(200);
    // The history is sampled server-side whether or not a page is open.
    await expect.poll(async () => {
      const d = (await (await fetch(`${collector.url}/status.json`)).json()) as StatusData;
      return d.history.samples.filter((s) => s.segments['acme-converters'] === 2).length;
    }, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

    const late = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const lateErrors: string[] = [];
    late.on('pageerror', (e) => lateErrors.push(e.message));
    late.on('console', (m) => void (m.type() === 'error' && lateErrors.push(m.text())));
    await late.goto(`${collector.url}/status`);
    const events = late.getByTestId('events-chart');
    await expect.poll(() => events.getAttribute('aria-label'), { timeout: 10_000 }).toBe('acme-converters 2, bidwell-impressions 2');
    expect(await events.getAttribute('data-ticks')).toBe('0,1,2');
    const d = (await (await fetch(`${collector.url}/status.json`)).json()) as StatusData;
    expect(d.history.samples[0]!.segments).toEqual({}); // the run starts at zero, before the pixels
    expect(d.history.samples[0]!.at - d.startedAt).toBeLessThan(2000);

    // Equal totals, equal paths: both lines still show, each in its own colour.
    const paths = late.locator('#events path');
    expect(await paths.count()).toBe(2);
    const [first, second] = await paths.evaluateAll((ps) => ps.map((p) => ({ d: p.getAttribute('d'), color: p.getAttribute('stroke')!, width: Number(p.getAttribute('stroke-width')), dash: p.getAttribute('stroke-dasharray') })));
    // The same points, but for at most one sample that may have fallen between the two senders' pixels.
    const points = (d: string | null) => d!.split(/[ML]/).filter(Boolean).map((p) => p.trim());
    const [a, b] = [points(first!.d), points(second!.d)];
    expect(a.length).toBe(b.length);
    expect(a.at(-1)).toBe(b.at(-1));
    expect(a.filter((p, i) => p !== b[i]).length).toBeLessThanOrEqual(1);
    expect(first!.width).toBeGreaterThan(second!.width);
    expect(second!.dash).not.toBe('');
    expect(first!.color).not.toBe(second!.color);
    expect(await pixelsOf(late, first!.color)).toBeGreaterThan(100);
    expect(await pixelsOf(late, second!.color)).toBeGreaterThan(100);

    expect(await late.locator('#legend li').allTextContents()).toEqual([
      'acme-converters2 since start · 2 in the first minute',
      'bidwell-impressions2 since start · 2 in the first minute',
    ]);
    const text = (testId: string) => late.getByTestId(testId).textContent();
    // New UID2s are held until their opt-out status is known, then written: either way, two of each.
    expect(await text('sender-101')).toMatch(/^Acme Shop \(101\) · localhost, shop\.uid2\.test: (held|written) 2$/);
    expect(await text('sender-102')).toMatch(/^Bidwell DSP \(102\) · dsp\.uid2\.test, localhost: (held|written) 2$/);
    expect(await text('sender-unknown')).toContain('not_authorised 1');
    // Rival never shared with us: named by the key its token was sealed with, and said so.
    const rivalKey = rival.keyRing!.activeKey(rival.keyRing!.defaultKeysetId!, Date.now())!.id;
    expect(await text(`key-${rivalKey}`)).toBe(`key id ${rivalKey}, never shared with this collector: 1 pixel not opened`);
    expect(await text('decrypt-NotAuthorizedForKey')).toContain('revoked');
    // Live members are recounted at most every 5 s (held events join their segment on the resolver's pass).
    await expect.poll(() => late.locator('tr[data-segment=acme-converters] td').allTextContents(), { timeout: 15_000 }).toEqual(['acme-converters', '2', '2']);
    expect(await noHorizontalOverflow(late)).toBe(true);

    // At 360 px: no sideways scrolling, and chart text stays 12 px.
    await late.setViewportSize({ width: 360, height: 800 });
    await expect.poll(() => late.locator('#events svg').getAttribute('width')).not.toBe(String(first));
    await expect.poll(() => noHorizontalOverflow(late)).toBe(true);
    const svgWidth = Number(await late.locator('#events svg').getAttribute('width'));
    expect(svgWidth).toBeLessThanOrEqual(360);
    expect(await late.locator('#events svg text').first().evaluate((t) => getComputedStyle(t).fontSize)).toBe('12px');
    expect(lateErrors).toEqual([]);
    await late.close();
    expect(errors).toEqual([]);
  });

  it('live members leave out whoever opted out after being written, as the export does', async () => {
    const uid = await optOutUser(op, 'status-leaver@example.com');
    // Written before the opt-out was known to this collector: straight into the store.
    await collector.store.write({ uid, segment: 'acme-converters', senderSiteId: 101, kind: 'conversion', at: Date.now(), identityType: 'Email', tokenVersion: 4 });
    const sizes = (await adminJson(collector.url, '/admin/segments', ADMIN_TOKEN)) as { segments: Array<{ segment: string; members: number }>; optoutChecked: boolean };
    expect(sizes.optoutChecked).toBe(true);
    const exported = (await (await fetch(`${collector.url}/admin/segments/acme-converters/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text()).trim().split('\n');
    expect(sizes.segments.find((s) => s.segment === 'acme-converters')!.members).toBe(exported.length);
    expect(exported.some((line) => line.includes(uid))).toBe(false);
  });
});
