// What one caller can do to the collector with what it holds, against the real operator and the real
// file store: header tampering writes nothing and changes no identity, one token cannot mint segments
// or metric series without bound, and the status surfaces need the admin token by default.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptToken, KeyRing, type SharingClient } from '@uid2-pixels/uid2';
import { vectors } from '../../../packages/uid2/test/vectors.ts';
import type { TokenDecrypter } from '../src/decrypter.ts';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { TRANSPARENT_GIF } from '../src/pixel/response.ts';
import { captureLogs } from './helpers/logs.ts';
import { adminJson, pixelUrl, see, waitDecided } from './helpers/http.ts';
import { runLoad } from './helpers/loadgen.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

let op: TestOperator;
let acme: SharingClient;
const cleanup: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  op = await startTestOperator();
  acme = await sender(op, SITES.acme);
}, 30_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
  await op?.close();
});

async function start(overrides = {}, decrypter?: TokenDecrypter): Promise<RunningCollector> {
  const dir = tempDir();
  const c = await startCollector({
    config: collectorConfig(op, `${dir}/data`, { logLevel: 'warn', ...overrides }),
    logger: captureLogs('warn').logger,
    ...(decrypter && { decrypter }),
  });
  cleanup.push(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 200 && !(decrypter ?? c.sharing)?.isReady; i++) await new Promise((r) => setTimeout(r, 50));
  return c;
}

/** The sum of a counter's samples whose labels include `labels`, and how many series it has. */
function counter(text: string, name: string, labels: Record<string, string> = {}): { total: number; series: number } {
  let total = 0;
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    series++;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { total, series };
}

/** Every single-bit flip of the 6 header bytes and every single-character change of the first 8 characters. */
function headerMutants(token: string): string[] {
  // v4 is base64url without padding; v3 (163/164 bytes) is standard base64 and always padded.
  const url = !/[+/=]/.test(token);
  const bytes = Buffer.from(token, url ? 'base64url' : 'base64');
  const encode = (b: Buffer) => (url ? b.toString('base64url') : b.toString('base64'));
  const out = new Set<string>();
  for (let bit = 0; bit < 48; bit++) {
    const b = Buffer.from(bytes);
    b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
    out.add(encode(b));
  }
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${url ? '-_' : '+/'}`;
  for (let at = 0; at < 8; at++) {
    for (const ch of alphabet) if (ch !== token[at]) out.add(token.slice(0, at) + ch + token.slice(at + 1));
  }
  out.delete(token);
  return [...out];
}

/** Sends every path once over keep-alive sockets; resolves with the statuses seen. */
async function sendAll(c: RunningCollector, paths: string[]): Promise<Record<number, number>> {
  const r = await runLoad({ host: '127.0.0.1', port: c.port, connections: 8, requests: paths.length, durationMs: 120_000, path: (i) => paths[i]! });
  expect(r.requests).toBe(paths.length);
  return r.statuses;
}

describe('the token header at the collector', () => {
  it('no single-bit flip or single-character change of a real operator token header writes anything', async () => {
    const c = await start();
    const tokens = [encryptFor(acme, makeRawUid('Email')), encryptFor(acme, makeRawUid('Phone'))];
    const mutants = tokens.flatMap(headerMutants);
    expect(mutants.length).toBeGreaterThan(2 * 500);
    const statuses = await sendAll(c, mutants.map((t) => `/pixel/conversion?uid2_token=${encodeURIComponent(t)}`));
    expect(statuses).toEqual({ 200: mutants.length });
    await waitDecided(c.url, ADMIN_TOKEN);
    const text = await c.metrics.registry.metrics();
    expect(counter(text, 'collector_decrypt_total', { status: 'Success' }).total).toBe(0);
    expect(await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)).toMatchObject({ segments: [], held: 0 });
    // The untouched tokens do write: the setup could have caught a write.
    for (const t of tokens) expect((await see(pixelUrl(c.url, 'conversion', { uid2_token: t }))).status).toBe(200);
    await waitDecided(c.url, ADMIN_TOKEN);
    expect(await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)).toMatchObject({ segments: [{ segment: 'acme-converters', members: 2 }], held: 0 });
  }, 120_000);

  it('nor does any such change of the shared vector tokens (v3 and v4, email and phone), beyond relabelling v3 as v4', async () => {
    const ring = KeyRing.fromResponseBody(vectors.keysets.main!);
    let clock = 0;
    const decrypter: TokenDecrypter = { decrypt: (t) => decryptToken(t, ring, { now: clock }), isReady: true, keyAgeMs: () => 0 };
    const c = await start({ senders: [{ siteId: 1001, segments: ['vectors'], defaults: { conversion: 'vectors' } }] }, decrypter);
    const ids = ['v3-uid2-email-success', 'v3-uid2-phone-success', 'v4-uid2-email-success', 'v4-uid2-phone-success', 'v4-base64url-with-dash-underscore'];
    let sent = 0;
    for (const id of ids) {
      const vc = vectors.cases.find((x) => x.id === id)!;
      clock = vc.now_ms;
      const mutants = headerMutants(vc.token);
      sent += mutants.length;
      const statuses = await sendAll(c, mutants.map((t) => `/pixel/conversion?uid2_token=${encodeURIComponent(t)}`));
      expect(statuses, id).toEqual({ 200: mutants.length });
    }
    expect(sent).toBeGreaterThan(5 * 500);
    await waitDecided(c.url, ADMIN_TOKEN);
    // One change per v3 token decrypts: its version character '3' -> '4' (byte 112 -> 128). v3 and v4
    // share one byte layout and v4 may come in standard base64 too (a vector says so), so that is the
    // same token relabelled: the same uid, site, scope and type, merely recorded as v4. Nothing else.
    expect(counter(await c.metrics.registry.metrics(), 'collector_decrypt_total', { status: 'Success' }).total).toBe(2);
    const relabelled = (await (await fetch(`${c.url}/admin/segments/vectors/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text())
      .split('\n').filter(Boolean).map((l) => JSON.parse(l) as { uid: string; identityType: string; tokenVersion: number });
    expect(relabelled.map((m) => [m.uid, m.identityType, m.tokenVersion]).sort()).toEqual(
      ['v3-uid2-email-success', 'v3-uid2-phone-success'].map((id) => {
        const e = vectors.cases.find((x) => x.id === id)!.expected;
        return [e.uid, e.identity_type, 4];
      }).sort(),
    );
    // And the vector tokens themselves are written, each with its own identity type.
    for (const id of ids) {
      const vc = vectors.cases.find((x) => x.id === id)!;
      clock = vc.now_ms;
      expect((await see(pixelUrl(c.url, 'conversion', { uid2_token: vc.token }))).status).toBe(200);
    }
    await waitDecided(c.url, ADMIN_TOKEN);
    const r = await fetch(`${c.url}/admin/segments/vectors/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const rows = (await r.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { uid: string; identityType: string });
    for (const id of ids) {
      const e = vectors.cases.find((x) => x.id === id)!.expected;
      expect(rows.find((m) => m.uid === e.uid)?.identityType, id).toBe(e.identity_type);
    }
  }, 180_000);
});

describe('one token cannot grow the collector without bound', () => {
  it('10,000 distinct segment names: segments, metric series and /metrics size stay bounded', async () => {
    const cap = 50;
    const c = await start({
      senders: [
        { siteId: SITES.acme, segments: ['acme-converters', 'acme-vip-*'], maxSegmentsPerPattern: cap, defaults: { conversion: 'acme-converters' } },
        { siteId: SITES.bidwell, segments: ['bidwell-impressions'], defaults: { impression: 'bidwell-impressions' } },
      ],
    });
    const token = encodeURIComponent(encryptFor(acme, makeRawUid()));
    const metricsBefore = (await c.metrics.registry.metrics()).length;
    // 9,000 names under the granted pattern, 1,000 outside any grant.
    const names = Array.from({ length: 10_000 }, (_, i) => (i < 9000 ? `acme-vip-${i}` : `free-text-${i}`));
    const statuses = await sendAll(c, names.map((n) => `/pixel/conversion?uid2_token=${token}&segment=${n}`));
    expect(statuses).toEqual({ 200: 10_000 });
    await waitDecided(c.url, ADMIN_TOKEN);

    const { segments } = (await adminJson(c.url, '/admin/segments', ADMIN_TOKEN)) as { segments: Array<{ segment: string; members: number }> };
    expect(segments.length).toBe(cap);
    expect(segments.every((s) => s.segment.startsWith('acme-vip-') && s.members === 1)).toBe(true);
    const text = await c.metrics.registry.metrics();
    expect(counter(text, 'collector_pixel_outcomes_total', { outcome: 'undeclared_segment' }).total).toBe(9000 - cap);
    expect(counter(text, 'collector_pixel_outcomes_total', { outcome: 'not_authorised' }).total).toBe(1000);
    expect(counter(text, 'collector_events_written_total').series).toBe(cap);
    expect(counter(text, 'collector_pixel_outcomes_total').series).toBeLessThanOrEqual(10);
    // Before: ~14 KB of process and collector metrics; after: the cap's 50 series more, nowhere near
    // the 594 KB that 5,000 minted segments used to make.
    expect(text.length - metricsBefore).toBeLessThan(cap * 200);
    expect(text.length).toBeLessThan(30_000);
    const status = await (await fetch(`${c.url}/status.json`)).text();
    expect(status.length).toBeLessThan(10_000);
  }, 180_000);

  it('past the series cap of a counter, further label sets count under "other"', async () => {
    const { CollectorMetrics } = await import('../src/metrics.ts');
    const m = new CollectorMetrics({ maxSeries: 3 });
    for (let i = 0; i < 10; i++) m.written(`seg-${i}`, 'conversion');
    const text = await m.registry.metrics();
    expect(counter(text, 'collector_events_written_total').series).toBe(4);
    expect(counter(text, 'collector_events_written_total', { segment: 'other', kind: 'other' }).total).toBe(7);
  });
});

describe('status surfaces', () => {
  it('/metrics and /status.json need the admin token by default; the pixel routes and /readyz do not', async () => {
    const c = await start({ protectStatus: undefined });
    expect(c.metrics).toBeDefined();
    for (const path of ['/metrics', '/status.json']) {
      const anon = await fetch(`${c.url}${path}`);
      expect(anon.status, path).toBe(401);
      expect(anon.headers.get('www-authenticate')).toBe('Bearer');
      expect((await fetch(`${c.url}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, path).toBe(200);
    }
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${c.url}/status`)).status).toBe(200); // the page itself: it asks with the token
    const r = await see(pixelUrl(c.url, 'conversion', { uid2_token: encryptFor(acme, makeRawUid()) }));
    expect(r.status).toBe(200);
    expect(r.body.equals(TRANSPARENT_GIF)).toBe(true);
  }, 30_000);
});
