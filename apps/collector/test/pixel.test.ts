// The pixel path over HTTP against the real local operator: success for both pixel kinds and both
// methods, every decryption failure answered exactly like a success, segment authorisation, opt-out,
// hostile input, the Express routes around it, and no token or raw UID2 in any log line.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAdvertisingToken, encryptRawUid, KeyRing, PublisherClient, type SharingClient } from '@uid2-pixels/uid2';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { TRANSPARENT_GIF } from '../src/pixel/response.ts';
import { captureLogs, type CapturedLogs } from './helpers/logs.ts';
import { adminJson, pixelUrl, see, waitDecided, type Seen } from './helpers/http.ts';
import {
  ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, optOutUser, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';

let op: TestOperator;
let collector: RunningCollector;
let logs: CapturedLogs;
let dataDir: string;
let acme: SharingClient;
let bidwell: SharingClient;
let rival: SharingClient;
/** Every token and raw UID2 the tests send: none may appear in a log line. */
const secrets: string[] = [];

const token = (client: SharingClient, uid = makeRawUid()) => {
  const t = encryptFor(client, uid);
  secrets.push(t, uid);
  return { token: t, uid };
};

const decided = () => waitDecided(collector.url, ADMIN_TOKEN);

async function members(segment: string): Promise<string[]> {
  await decided();
  const r = await fetch(`${collector.url}/admin/segments/${segment}/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { uid: string }).uid);
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${collector.url}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (want.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

beforeAll(async () => {
  op = await startTestOperator();
  dataDir = tempDir();
  logs = captureLogs('debug');
  collector = await startCollector({ config: collectorConfig(op, dataDir, { logLevel: 'debug' }), logger: logs.logger });
  [acme, bidwell, rival] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell), sender(op, SITES.rival)]);
  await untilSharingReady(collector);
}, 30_000);

afterAll(async () => {
  await collector?.close();
  await op?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a pixel that decrypts and is allowed', () => {
  let success: Seen;

  it('GET tracking pixel: answers the 43-byte GIF with no-store, and the raw UID2 joins the sender default segment', async () => {
    const { token: t, uid } = token(acme);
    success = await see(pixelUrl(collector.url, 'conversion', { uid2_token: t, order: 'A-1', value: '89.00' }));
    expect(success.status).toBe(200);
    expect(success.body.equals(TRANSPARENT_GIF)).toBe(true);
    expect(success.body.length).toBe(43);
    expect(success.headers['content-type']).toBe('image/gif');
    expect(success.headers['cache-control']).toContain('no-store');
    expect(await members('acme-converters')).toContain(uid);
  });

  it('POST (sendBeacon) creative pixel: 204 no body, written to the DSP default segment with its details', async () => {
    const { token: t, uid } = token(bidwell, makeRawUid('Phone'));
    const r = await see(pixelUrl(collector.url, 'impression', { uid2_token: t }), { method: 'POST' });
    expect(r.status).toBe(204);
    expect(r.body.length).toBe(0);
    expect(r.headers['cache-control']).toContain('no-store');
    await decided();
    const line = (await (await fetch(`${collector.url}/admin/segments/bidwell-impressions/export?format=ndjson`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text())
      .split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m.uid === uid);
    expect(line).toMatchObject({ segment: 'bidwell-impressions', senderSiteId: SITES.bidwell, lastKind: 'impression', identityType: 'Phone', tokenVersion: 4 });
    expect(new Date(line!.firstSeen as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('POST with the token in a urlencoded body, and a named segment the sender is granted by prefix', async () => {
    const { token: t, uid } = token(acme);
    const r = await see(`${collector.url}/pixel/conversion`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: new URLSearchParams({ uid2_token: t, segment: 'acme-vip-gold' }).toString(),
    });
    expect(r.status).toBe(204);
    expect(await members('acme-vip-gold')).toEqual([uid]);
  });

  it('an unencoded "+" in a standard-base64 (v3) token still decrypts', async () => {
    const uid = makeRawUid();
    secrets.push(uid);
    // A v3 token in standard base64 with a '+', sent without encodeURIComponent (a common mistake).
    let t = '';
    for (let i = 0; i < 50 && !t.includes('+'); i++) {
      const ring = acme.keyRing!;
      const now = Date.now();
      t = encodeAdvertisingToken(
        { identityScope: 'UID2', identityType: 'Email', expires: now + 3_600_000, created: now, siteId: SITES.acme, privacyBits: 0, established: now, refreshed: now, rawUid: uid },
        ring.activeKey(ring.masterKeysetId!, now)!, ring.activeKey(ring.defaultKeysetId!, now)!, { version: 3 },
      );
    }
    secrets.push(t);
    expect(t).toContain('+');
    const r = await see(`${collector.url}/pixel/conversion?uid2_token=${t}&segment=acme-vip-plus`);
    expect(r.status).toBe(200);
    expect(await members('acme-vip-plus')).toEqual([uid]);
  });

  describe('every failure is answered exactly like a success, and writes nothing', () => {
    const now = () => Date.now();
    const forge = (fields: { expires: number; created: number }, uid: string) => {
      const ring = acme.keyRing!;
      const t = encodeAdvertisingToken(
        { identityScope: 'UID2', identityType: 'Email', siteId: SITES.acme, privacyBits: 0, established: fields.created, refreshed: fields.created, rawUid: uid, ...fields },
        ring.activeKey(ring.masterKeysetId!, now())!, ring.activeKey(ring.defaultKeysetId!, now())!,
      );
      secrets.push(t);
      return t;
    };
    const cases: Array<[string, string, () => Promise<string>]> = [
      ['no sharing permission (Rival Retail shares nothing with us)', 'NotAuthorizedForKey', async () => token(rival).token],
      ['expired token', 'ExpiredToken', async () => forge({ expires: now() - 60_000, created: now() - 3_600_000 }, makeRawUid())],
      ['tampered token (one character changed)', 'InvalidPayload', async () => {
        const t = token(acme).token;
        const i = Math.floor(t.length / 2);
        const bad = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
        secrets.push(bad);
        return bad;
      }],
      ['lifetime beyond the sharing maximum', 'InvalidTokenLifetime', async () => forge({ expires: now() + 90 * 86_400_000, created: now() }, makeRawUid())],
      ['wrong identity scope: an EUID token from keys we never had', 'NotAuthorizedForMasterKey', async () => {
        const s = Math.floor(now() / 1000);
        const key = (id: number, keyset: number) => ({ id, keyset_id: keyset, created: s - 60, activates: s - 60, expires: s + 86_400, secret: randomBytes(32).toString('base64') });
        const euid = KeyRing.fromResponseBody({
          caller_site_id: SITES.acme, master_keyset_id: 9999999, default_keyset_id: 4242, identity_scope: 'EUID', token_expiry_seconds: '2592000',
          keys: [key(990001, 9999999), key(990002, 4242)],
        });
        const r = encryptRawUid(makeRawUid(), euid);
        secrets.push(r.token!);
        return r.token!;
      }],
      ["a publisher's bidstream advertising token (not shared with us)", 'NotAuthorizedForKey', async () => {
        const g = await new PublisherClient(op.credentials(SITES.planet)).generateToken({ email: 'reader@example.com' });
        if (g.status !== 'success') throw new Error('generate failed');
        secrets.push(g.identity.advertisingToken, g.identity.refreshToken);
        return g.identity.advertisingToken;
      }],
      ['not a token at all', 'VersionNotSupported', async () => 'hello-world'],
    ];

    it.each(cases)('%s -> %s', async (_name, status, make) => {
      const t = await make();
      const before = await metric('collector_decrypt_total', { status });
      const sizesBefore = await adminJson(collector.url, '/admin/segments', ADMIN_TOKEN);
      const get = await see(pixelUrl(collector.url, 'conversion', { uid2_token: t }));
      expect(get).toEqual(success);
      const post = await see(pixelUrl(collector.url, 'conversion', { uid2_token: t }), { method: 'POST' });
      expect(post.status).toBe(204);
      expect(post.body.length).toBe(0);
      expect(await metric('collector_decrypt_total', { status })).toBe(before + 2);
      expect(await adminJson(collector.url, '/admin/segments', ADMIN_TOKEN)).toEqual(sizesBefore);
    });
  });
});

describe('segment authorisation', () => {
  it("a valid token from one sender cannot write another sender's segment", async () => {
    const fromAcme = token(acme);
    const fromBidwell = token(bidwell);
    const before = await metric('collector_pixel_outcomes_total', { outcome: 'not_authorised' });
    const a = await see(pixelUrl(collector.url, 'impression', { uid2_token: fromAcme.token, segment: 'bidwell-impressions' }));
    const b = await see(pixelUrl(collector.url, 'conversion', { uid2_token: fromBidwell.token, segment: 'acme-converters' }));
    // Acme has no default for impressions; Bidwell none for conversions.
    const c = await see(pixelUrl(collector.url, 'impression', { uid2_token: fromAcme.token }));
    const d = await see(pixelUrl(collector.url, 'conversion', { uid2_token: fromBidwell.token }));
    for (const r of [a, b, c, d]) expect(r.status).toBe(200);
    expect(await metric('collector_pixel_outcomes_total', { outcome: 'not_authorised' })).toBe(before + 4);
    expect(await members('bidwell-impressions')).not.toContain(fromAcme.uid);
    expect(await members('acme-converters')).not.toContain(fromBidwell.uid);
    expect(await members('acme-converters')).not.toContain(fromAcme.uid);
  });
});

describe('opt-out', () => {
  it('never writes a UID2 that has opted out', async () => {
    const rawUid = await optOutUser(op, 'leaver@example.com');
    const t = token(acme, rawUid);
    const before = await metric('collector_held_decided_total', { result: 'opted_out' });
    const r = await see(pixelUrl(collector.url, 'conversion', { uid2_token: t.token }));
    expect(r.status).toBe(200);
    // A new UID2: held durably, answered, then dropped once the operator says it opted out.
    expect(await members('acme-converters')).not.toContain(rawUid);
    expect(await metric('collector_held_decided_total', { result: 'opted_out' })).toBe(before + 1);
    // Now known: the next pixel is dropped at once, without holding it.
    const cachedBefore = await metric('collector_pixel_outcomes_total', { outcome: 'opted_out' });
    expect((await see(pixelUrl(collector.url, 'conversion', { uid2_token: token(acme, rawUid).token }))).status).toBe(200);
    expect(await metric('collector_pixel_outcomes_total', { outcome: 'opted_out' })).toBe(cachedBefore + 1);
    expect(await members('acme-converters')).not.toContain(rawUid);
  });

  it('export asks again: a UID2 that opted out after it was written is left out and removed', async () => {
    const rawUid = await (async () => {
      // Map first (while still opted in), write it, then opt out.
      const { postEnveloped } = await import('@uid2-pixels/uid2');
      const map = await postEnveloped(op.credentials(SITES.mapper), '/v2/identity/map', { email: ['changed-mind@example.com'] });
      return (map.body as { mapped: Array<{ advertising_id: string }> }).mapped[0]!.advertising_id;
    })();
    secrets.push(rawUid);
    const t = token(acme, rawUid);
    await see(pixelUrl(collector.url, 'conversion', { uid2_token: t.token, segment: 'acme-vip-changed' }));
    await decided();
    expect(await adminJson(collector.url, '/admin/segments/acme-vip-changed', ADMIN_TOKEN)).toEqual({ segment: 'acme-vip-changed', members: 1 });
    await optOutUser(op, 'changed-mind@example.com');
    expect(await members('acme-vip-changed')).toEqual([]);
    expect(await adminJson(collector.url, '/admin/segments/acme-vip-changed', ADMIN_TOKEN)).toEqual({ segment: 'acme-vip-changed', members: 0 });
  });
});

describe('hostile input', () => {
  const hostile = [
    '/pixel/conversion',
    '/pixel/conversion?',
    '/pixel/conversion?uid2_token=',
    `/pixel/conversion?uid2_token=${'A'.repeat(1025)}`,
    `/pixel/conversion?uid2_token=${'A'.repeat(100)}&pad=${'x'.repeat(5000)}`,
    '/pixel/conversion?uid2_token=%E0%A4%A',
    '/pixel/conversion?uid2_token=%00%01%02',
    '/pixel/conversion?uid2_token=abc&segment=../../etc/passwd',
    '/pixel/conversion?uid2_token[]=x&uid2_token[__proto__]=y',
    '/pixel/impression?uid2_token=<script>alert(1)</script>',
  ];
  it.each(hostile)('%s is answered with the same GIF and the collector keeps working', async (path) => {
    const r = await see(`${collector.url}${path}`);
    expect(r.status).toBe(200);
    expect(r.body.equals(TRANSPARENT_GIF)).toBe(true);
  });

  it.each(['/constructor', '/__proto__', '/toString', '/pixel', '/pixel/conversion/x'])('%s is not a pixel route (404 from Express)', async (path) => {
    const r = await fetch(`${collector.url}${path}?uid2_token=x`);
    expect(r.status).toBe(404);
  });

  it('HEAD and PUT on a pixel route are not pixels either', async () => {
    expect((await fetch(`${collector.url}/pixel/conversion`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${collector.url}/pixel/conversion`, { method: 'PUT' })).status).toBe(404);
  });

  it('an oversized beacon body is answered 204 and not read', async () => {
    const r = await see(`${collector.url}/pixel/conversion`, { method: 'POST', body: 'uid2_token=' + 'A'.repeat(100_000) });
    expect(r.status).toBe(204);
    expect((await see(`${collector.url}/healthz`)).status).toBe(200);
  });
});

describe('around the pixels', () => {
  it('health, readiness, metrics', async () => {
    expect((await see(`${collector.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${collector.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    for (const name of ['collector_pixel_requests_total', 'collector_decrypt_total', 'collector_store_commit_seconds_bucket', 'collector_key_age_seconds', 'collector_events_written_total']) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/collector_decrypt_total\{sender="101",status="Success"\} [1-9]/);
    expect(text).toMatch(/collector_keys_loaded 1/);
  });

  it('status page and its JSON', async () => {
    const page = await fetch(`${collector.url}/status`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="events-chart"');
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${collector.url}/status/app.js`)).status).toBe(200);
    const data = (await (await fetch(`${collector.url}/status.json`)).json()) as Record<string, Record<string, number>>;
    expect(data.keysLoaded).toBe(true);
    expect(data.eventsBySegment!['acme-converters']).toBeGreaterThan(0);
    expect(data.decryptByStatus!.Success).toBeGreaterThan(0);
    expect(data.decryptByStatus!.NotAuthorizedForKey).toBeGreaterThan(0);
    expect(data.members!['acme-converters']).toBeGreaterThan(0);
  });

  it('the landing page at / says what this is and links to status, health, readiness and metrics', async () => {
    const r = await fetch(`${collector.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = await r.text();
    expect(html).toContain('UID2 pixel collector');
    for (const href of ['/status', '/healthz', '/readyz', '/metrics']) expect(html).toContain(`href="${href}"`);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('admin API: Bearer token required, sizes and CSV export', async () => {
    expect((await fetch(`${collector.url}/admin/segments`)).status).toBe(401);
    expect((await fetch(`${collector.url}/admin/segments`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${collector.url}/admin/segments`, { headers: { authorization: ADMIN_TOKEN } })).status).toBe(401);
    const sizes = (await adminJson(collector.url, '/admin/segments', ADMIN_TOKEN)) as { segments: Array<{ segment: string; members: number }> };
    expect(sizes.segments.map((s) => s.segment)).toContain('acme-converters');
    const csv = await fetch(`${collector.url}/admin/segments/acme-converters/export?format=csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toBe('uid,segment,first_seen,last_seen,sender_site_id,last_kind,identity_type,token_version');
    expect(rows.length - 1).toBe(sizes.segments.find((s) => s.segment === 'acme-converters')!.members);
    expect((await fetch(`${collector.url}/admin/segments/x/export?format=xml`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(400);
    // A segment nobody wrote: 404 naming the ones that exist, and no CSV header.
    const unknown = await fetch(`${collector.url}/admin/segments/acme-convertors/export?format=csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(unknown.status).toBe(404);
    const body = (await unknown.json()) as { error: string; known: string[]; message: string };
    expect(body.error).toBe('unknown_segment');
    expect(body.known).toContain('acme-converters');
    expect(body.message).toContain('known segments: ');
  });

  it('logs no token and no raw UID2, anywhere', () => {
    expect(logs.lines.length).toBeGreaterThan(3);
    expect(secrets.length).toBeGreaterThan(20);
    const all = logs.lines.join('');
    for (const s of secrets) expect(all.includes(s), 'a token or raw UID2 reached the log').toBe(false);
    // Also no base64 run as long as a raw UID2 or token.
    expect(all).not.toMatch(/[A-Za-z0-9+/_-]{43,}/);
  });
});
