// /v3/identity/map, /v2/identity/map and /v2/identity/buckets over HTTP against the real operator:
// every body case of identity-map.md with its exact status and message, the binary envelope on every
// enveloped route, 413 before parsing, and salt rotation (p, r, 90 days, restart, tokens across it).
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PublisherClient, postEnveloped } from '@uid2-pixels/uid2/clients';
import { openResponse, sealRequest } from '@uid2-pixels/uid2/envelope';
import { admin, startTestOperator, tempDataDir, type TestOperator } from './helpers.ts';

const MAPPER = 107; // Northwind Data, the dev fixture's data provider
const DAY = 86_400_000;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const V3_REQUIRED = 'Required Parameter Missing: one or more of [email, email_hash, phone, phone_hash] must be specified';
const V2_EXACTLY_ONE = 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified';

let op: TestOperator;
const clock = { t: Date.UTC(2026, 5, 15, 12, 0, 0) };
const now = () => clock.t;
beforeAll(async () => {
  op = await startTestOperator({ now, saltRotation: { intervalMs: 0 } });
});
afterAll(async () => op.dispose());

const map = (path: string, payload: object | undefined, site = MAPPER) => postEnveloped({ ...op.credentials(site), now }, path, payload);
const v3 = async (payload: object | undefined) => (await map('/v3/identity/map', payload)).body as Record<string, any[]>;
const rejection = (path: string, payload: object | undefined) => map(path, payload).then(() => null, (e) => ({ http: e.httpStatus, status: e.operatorStatus, message: e.operatorMessage }));

describe('POST /v3/identity/map', () => {
  it('maps mixed types positionally, with duplicates, hex hashes, opt-outs and invalid identifiers', async () => {
    const emailHashB64 = sha256('jane@example.com').toString('base64');
    const body = await v3({
      email: ['Jane@Example.com', 'optout@example.com', 'not-an-email', 'jane@example.com'],
      email_hash: [emailHashB64, sha256('jane@example.com').toString('hex'), 'short'],
      phone: ['+12345678901', '+00000000000', '12345678901'],
      phone_hash: [sha256('+12345678901').toString('base64')],
    });
    expect(Object.keys(body)).toEqual(['email', 'email_hash', 'phone', 'phone_hash']);
    const jane = body.email![0];
    expect(jane).toEqual({ u: expect.stringMatching(/^[A-Za-z0-9+/]{44}$/), p: null, r: expect.any(Number) });
    expect(body.email).toEqual([jane, { e: 'optout' }, { e: 'invalid identifier' }, jane]);
    expect(body.email_hash).toEqual([jane, jane, { e: 'invalid identifier' }]);
    const phone = body.phone![0];
    expect(phone.u).not.toBe(jane.u);
    expect(Buffer.from(phone.u, 'base64')[0]).toBe(0x04); // UID2 phone prefix (spec §7)
    expect(body.phone).toEqual([phone, { e: 'optout' }, { e: 'invalid identifier' }]);
    expect(body.phone_hash).toEqual([phone]);
  });

  it('answers every key as an empty array for empty and null inputs', async () => {
    const empty = { email: [], email_hash: [], phone: [], phone_hash: [] };
    expect(await v3({ email: [] })).toEqual(empty);
    expect(await v3({ email_hash: null })).toEqual(empty);
    expect(await v3({ email_hash: [], phone_hash: [] })).toEqual(empty);
  });

  it.each([
    ['{}', {}, V3_REQUIRED],
    ['no JSON at all', undefined, V3_REQUIRED],
    ['an unknown key', { invalid_key: [] }, 'Incorrect request format'],
    ['a null element', { email: [null] }, 'Incorrect request format'],
    ['a null after a value', { email: ['x@example.com', null] }, 'Incorrect request format'],
    ['a string instead of an array', { email: 'x@example.com' }, 'Incorrect request format'],
    ['an object element', { phone: [{}] }, 'Incorrect request format'],
  ])('400 client_error for %s', async (_name, payload, message) => {
    expect(await rejection('/v3/identity/map', payload)).toEqual({ http: 400, status: 'client_error', message });
  });

  it('refuses a participant without MAPPER with 401 and no message', async () => {
    const res = await map('/v3/identity/map', { email: ['a@example.com'] }, 103).catch((e) => e);
    expect({ http: res.httpStatus, status: res.operatorStatus, message: res.operatorMessage }).toEqual({ http: 401, status: 'unauthorized', message: null });
  });

  it('r is the bucket refresh_from in seconds, or the next UTC midnight once that has passed', async () => {
    const [entry] = (await v3({ email: ['r-check@example.com'] })).email!;
    expect(entry.r).toBeGreaterThan(now() / 1000);
    expect(entry.r).toBeLessThanOrEqual((now() + 30 * DAY) / 1000);
    const saved = clock.t;
    clock.t = saved + 31 * DAY; // past every refresh_from of a fresh data dir, and no scheduler run
    try {
      const [later] = (await v3({ email: ['r-check@example.com'] })).email!;
      expect(later.r * 1000).toBe(Math.floor(clock.t / DAY) * DAY + DAY);
      expect(later.u).toBe(entry.u);
    } finally {
      clock.t = saved;
    }
  });

  it('answers 5,000 identifiers in one request', async () => {
    const emails = Array.from({ length: 5000 }, (_, i) => `bulk${i}@example.com`);
    const body = await v3({ email: emails });
    expect(body.email).toHaveLength(5000);
    expect(new Set(body.email!.map((e) => e.u)).size).toBe(5000);
  });
});

describe('POST /v2/identity/map', () => {
  it('maps one type, echoes identifiers as given, lists unmapped only when there are some', async () => {
    const ok = (await map('/v2/identity/map', { email: ['Jane@Example.com', 'jane@example.com'] })).body as any;
    expect(ok.unmapped).toBeUndefined();
    expect(ok.mapped).toEqual([
      { identifier: 'Jane@Example.com', advertising_id: expect.any(String), bucket_id: expect.stringMatching(/^b[A-Za-z0-9]{9,}$/) },
      { identifier: 'jane@example.com', advertising_id: ok.mapped[0].advertising_id, bucket_id: ok.mapped[0].bucket_id },
    ]);
    const [v3Jane] = (await v3({ email: ['jane@example.com'] })).email!;
    expect(ok.mapped[0].advertising_id).toBe(v3Jane.u);
    const mixed = (await map('/v2/identity/map', { phone: ['+00000000000', 'bad', '+12345678901'] })).body as any;
    expect(mixed.mapped.map((m: any) => m.identifier)).toEqual(['+12345678901']);
    expect(mixed.unmapped).toEqual([
      { identifier: '+00000000000', reason: 'optout' },
      { identifier: 'bad', reason: 'invalid identifier' },
    ]);
  });

  it('answers 200 {"mapped":[]} when every given array is empty', async () => {
    expect((await map('/v2/identity/map', { email: [] })).body).toEqual({ mapped: [] });
    expect((await map('/v2/identity/map', { email: [], email_hash: [] })).body).toEqual({ mapped: [] });
  });

  it.each([
    ['{}', {}, V2_EXACTLY_ONE],
    ['no JSON at all', undefined, V2_EXACTLY_ONE],
    ['two non-empty arrays', { email: ['a@example.com'], email_hash: [sha256('a@example.com').toString('base64')] }, V2_EXACTLY_ONE],
    ['a string instead of an array', { email: 'a@example.com' }, 'email must be an array'],
    ['a number instead of an array', { phone_hash: 5 }, 'phone_hash must be an array'],
  ])('400 client_error for %s', async (_name, payload, message) => {
    expect(await rejection('/v2/identity/map', payload)).toEqual({ http: 400, status: 'client_error', message });
  });
});

describe('POST /v2/identity/buckets', () => {
  it.each([
    ['{}', {}, 'missing parameter since_timestamp'],
    ['no JSON', undefined, 'missing parameter since_timestamp'],
    ['a zone suffix', { since_timestamp: '2026-01-01T00:00:00Z' }, 'invalid date, must conform to ISO 8601'],
    ['an impossible date', { since_timestamp: '2026-02-30T00:00:00' }, 'invalid date, must conform to ISO 8601'],
    ['a number', { since_timestamp: 1700000000 }, 'invalid date, must conform to ISO 8601'],
  ])('400 client_error for %s', async (_name, payload, message) => {
    expect(await rejection('/v2/identity/buckets', payload)).toEqual({ http: 400, status: 'client_error', message });
  });

  it('lists buckets updated at or after the time, last_updated with exactly three fraction digits', async () => {
    const all = (await map('/v2/identity/buckets', { since_timestamp: '2000-01-01T00:00' })).body as any[];
    expect(all).toHaveLength(1024);
    for (const b of all) expect(b.last_updated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    const future = new Date(now() + 1000).toISOString().slice(0, 19);
    expect((await map('/v2/identity/buckets', { since_timestamp: future })).body).toEqual([]);
  });
});

describe('binary envelope (application/octet-stream) on every enveloped route', () => {
  const send = (path: string, body: Uint8Array | string, site = MAPPER) =>
    fetch(`${op.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${op.credentials(site).apiKey}`, 'Content-Type': 'application/octet-stream' },
      body: body as BodyInit,
    });
  it.each([
    ['/v3/identity/map', MAPPER, { email: ['bin@example.com'] }],
    ['/v2/identity/map', MAPPER, { email: ['bin@example.com'] }],
    ['/v2/identity/buckets', MAPPER, { since_timestamp: '2030-01-01T00:00:00' }],
    ['/v2/optout/status', MAPPER, { advertising_ids: [] }],
    ['/v2/token/generate', 103, { email: 'bin@example.com' }],
    ['/v2/key/sharing', 101, undefined],
    ['/v2/key/bidstream', 102, undefined],
  ])('%s answers raw bytes to raw bytes, and base64 text to a base64 body sent as octet-stream', async (path, site, payload) => {
    const { secret } = op.credentials(site);
    const sealed = sealRequest(payload, secret, { now: now() });
    const res = await send(path, sealed.envelope, site);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(openResponse(new Uint8Array(await res.arrayBuffer()), secret, sealed.nonce)).toMatchObject({ status: 'success' });
    // The operator's fallback: an octet-stream body that is really base64 text is read as text, answered as text.
    const fallback = await send(path, sealed.base64, site);
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(openResponse(await fallback.text(), secret, sealed.nonce)).toMatchObject({ status: 'success' });
  });

  it('reads base64 envelopes under the content types the SDKs send (Python urllib and Java OkHttp: form-urlencoded)', async () => {
    const { apiKey, secret } = op.credentials(MAPPER);
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', '']) {
      const sealed = sealRequest({ since_timestamp: '2030-01-01T00:00:00.123456' }, secret, { now: now() });
      const res = await fetch(`${op.url}/v2/identity/buckets`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'X-UID2-Client-Version': 'uid2-client-python-2.9.0', ...(type ? { 'Content-Type': type } : {}) },
        body: Buffer.from(sealed.base64),
      });
      expect(res.status).toBe(200);
      expect(openResponse(await res.text(), secret, sealed.nonce)).toEqual({ status: 'success', body: [] });
    }
  });

  it('a broken binary body gets the envelope error, not a success', async () => {
    const sealed = sealRequest({ email: ['x@example.com'] }, op.credentials(MAPPER).secret, { now: now() });
    const bytes = Buffer.from(sealed.envelope);
    bytes[0] = 2;
    const res = await send('/v3/identity/map', bytes);
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/^Invalid body: Invalid request envelope format version: received 2, must be 1\./);
  });
});

describe('request size', () => {
  it('413 for a body over 1 MiB before any parsing (also without Content-Length); exactly 1 MiB is read', async () => {
    const post = (body: BodyInit, extra: RequestInit = {}) =>
      fetch(`${op.url}/v3/identity/map`, { method: 'POST', headers: { Authorization: `Bearer ${op.credentials(MAPPER).apiKey}` }, body, ...extra });
    const big = await post('A'.repeat(1024 * 1024 + 1));
    expect(big.status).toBe(413);
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 17; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(65));
        controller.close();
      },
    });
    const streamed = await post(chunked, { duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    const limit = await post('A'.repeat(1024 * 1024));
    expect(limit.status).toBe(400); // read, then refused as an envelope
    expect((await fetch(`${op.url}/ops/healthcheck`)).status).toBe(200);
  });
});

describe('a MAPPER near the size limit', () => {
  it('maps 40,000 identifiers in one binary request (under 1 MiB), positionally', async () => {
    const { apiKey, secret } = op.credentials(MAPPER);
    const emails = Array.from({ length: 40_000 }, (_, i) => `big${i}@example.com`);
    const sealed = sealRequest({ email: emails }, secret, { now: now() });
    expect(sealed.envelope.length).toBeLessThan(1024 * 1024);
    const res = await fetch(`${op.url}/v3/identity/map`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/octet-stream' },
      body: sealed.envelope as BodyInit,
    });
    expect(res.status).toBe(200);
    const answer = openResponse(new Uint8Array(await res.arrayBuffer()), secret, sealed.nonce) as { body: { email: { u: string }[] } };
    expect(answer.body.email).toHaveLength(40_000);
    const [last] = (await v3({ email: ['big39999@example.com'] })).email!;
    expect(answer.body.email[39_999]!.u).toBe(last.u);
  });
});

describe('salt rotation', () => {
  let rot: TestOperator;
  const t = { now: Date.UTC(2026, 0, 10, 8, 0, 0) };
  const rotNow = () => t.now;
  afterEach(async () => {
    await rot?.close();
  });
  const mapV3 = async (email: string) =>
    ((await postEnveloped({ ...rot.credentials(MAPPER), now: rotNow }, '/v3/identity/map', { email: [email] })).body as any).email[0];

  it('keeps the previous raw UID2 for 90 days, takes r from the bucket, survives a restart, and keeps old tokens working', async () => {
    const dataDir = tempDataDir();
    rot = await startTestOperator({ dataDir, now: rotNow, saltRotation: { intervalMs: 0 } });
    const before = await mapV3('rotating@example.com');
    const publisher = new PublisherClient({ ...rot.credentials(103), now: rotNow });
    const issued = await publisher.generateToken({ email: 'rotating@example.com' });
    if (issued.status !== 'success') throw new Error('expected an identity');

    const rotated = await admin(rot, 'POST', '/salts/rotate', { fraction: 1 });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ rotated: 1024, refreshFrom: t.now + 30 * DAY });
    const after = await mapV3('rotating@example.com');
    expect(after).toEqual({ u: expect.any(String), p: before.u, r: (t.now + 30 * DAY) / 1000 });
    expect(after.u).not.toBe(before.u);

    // The refresh token issued before the rotation refreshes, into the new raw UID2.
    const refreshed = await publisher.refreshToken(issued.identity);
    expect(refreshed.status).toBe('success');

    // Buckets and opt-outs follow the rotation.
    const since = new Date(t.now).toISOString().slice(0, 23);
    expect(((await postEnveloped({ ...rot.credentials(MAPPER), now: rotNow }, '/v2/identity/buckets', { since_timestamp: since })).body as any[]).length).toBe(1024);
    expect((await mapV3('optout@example.com')).e).toBe('optout');

    // Restart on the same data dir: same salts, same previous salts.
    await rot.close();
    rot = await startTestOperator({ dataDir, now: rotNow, saltRotation: { intervalMs: 0 } });
    expect(await mapV3('rotating@example.com')).toEqual(after);

    t.now += 90 * DAY - 1;
    expect((await mapV3('rotating@example.com')).p).toBe(before.u);
    t.now += 1;
    const expired = await mapV3('rotating@example.com');
    expect(expired).toMatchObject({ u: after.u, p: null });
    expect(expired.r * 1000).toBe(Math.floor(t.now / DAY) * DAY + DAY); // refresh_from has passed: next UTC midnight
    await rot.dispose();
  });

  it('the schedule rotates at most its share of the due buckets per run', async () => {
    rot = await startTestOperator({ now: rotNow, saltRotation: { intervalMs: DAY, fraction: 0.01 } });
    t.now += DAY; // day 1: the buckets spread over days 1..30 are due, 1 % of all may rotate
    // The scheduler runs on start (catching up after downtime) and on its timer: a restart runs it now.
    await rot.close();
    rot = await startTestOperator({ dataDir: rot.dataDir, now: rotNow, saltRotation: { intervalMs: DAY, fraction: 0.01 } });
    const salts = await admin(rot, 'GET', '/salts');
    expect(salts.json).toMatchObject({ buckets: 1024, rotatedLast90Days: Math.ceil(1024 * 0.01), lastScheduledRotation: t.now });
    await rot.dispose();
  });

  it('refuses bad rotation requests', async () => {
    rot = await startTestOperator({ now: rotNow, saltRotation: { intervalMs: 0 } });
    expect((await admin(rot, 'POST', '/salts/rotate', { fraction: 2 })).status).toBe(400);
    expect((await admin(rot, 'POST', '/salts/rotate', { count: 1, fraction: 0.5 })).status).toBe(400);
    expect((await admin(rot, 'POST', '/salts/rotate', { bucketIds: ['nope'] })).status).toBe(404);
    await rot.dispose();
  });
});
