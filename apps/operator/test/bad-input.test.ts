// Bad input gets the real operator's status and code: never a 500, never a crash. After every case the
// operator still answers its health check.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openResponse, sealRequest } from '@uid2-pixels/uid2/envelope';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
const clock = { offset: 0 };
beforeAll(async () => {
  op = await startTestOperator({ now: () => Date.now() + clock.offset });
});
afterEach(async () => {
  clock.offset = 0;
  expect(await (await fetch(`${op.url}/ops/healthcheck`)).text()).toBe('OK');
});
afterAll(async () => op.dispose());

const HINT = ' See https://unifiedid.com/docs/getting-started/gs-encryption-decryption for details on the request envelope format.';

function send(path: string, body: string | Uint8Array, apiSite = 103, contentType = 'text/plain') {
  const { apiKey } = op.credentials(apiSite);
  return fetch(`${op.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': contentType, Origin: 'http://localhost:3000' },
    body: body as BodyInit, // a Uint8Array is a valid body; TS 5.9's lib types are narrower
  });
}

const generateBody = (opts: { now?: number; secret?: string } = {}) =>
  sealRequest({ email: 'bad.input@example.com' }, opts.secret ?? op.credentials(103).secret, { now: opts.now ?? Date.now() });

async function expectJson(res: Response, code: number, json: object) {
  expect(res.status).toBe(code);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  expect(await res.json()).toEqual(json);
}

describe('envelope errors (400 client_error, plain JSON)', () => {
  it('body missing', async () => {
    await expectJson(await send('/v2/token/generate', ''), 400, { status: 'client_error', message: 'Invalid body: Body is missing.' });
  });

  it('not base64', async () => {
    await expectJson(await send('/v2/token/generate', '***not base64***'), 400, { status: 'client_error', message: `Invalid body: Body is not valid base64.${HINT}` });
  });

  it('unencrypted JSON', async () => {
    const res = await send('/v2/token/generate', '{"email":"a@b.com"}');
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe(
      'Invalid body: The request body is unencrypted JSON. It must be an encrypted request envelope. See https://unifiedid.com/docs/getting-started/gs-encryption-decryption#encryption-and-decryption-code-examples for encryption and decryption code examples.',
    );
  });

  it('too short', async () => {
    await expectJson(await send('/v2/token/generate', Buffer.alloc(20, 1).toString('base64')), 400, {
      status: 'client_error',
      message: `Invalid body: Body too short. Check encryption method.${HINT}`,
    });
  });

  it('wrong envelope version', async () => {
    const bytes = Buffer.from(generateBody().envelope);
    bytes[0] = 2;
    await expectJson(await send('/v2/token/generate', bytes.toString('base64')), 400, {
      status: 'client_error',
      message: `Invalid body: Invalid request envelope format version: received 2, must be 1.${HINT}`,
    });
  });

  it('wrong secret, or a flipped bit (malformed envelope)', async () => {
    const otherSecret = op.credentials(101).secret;
    const expected = { status: 'client_error', message: `Invalid body: Check encryption key (ClientSecret).${HINT}` };
    await expectJson(await send('/v2/token/generate', generateBody({ secret: otherSecret }).base64), 400, expected);
    const flipped = Buffer.from(generateBody().envelope);
    flipped[30] = flipped[30]! ^ 0x80;
    await expectJson(await send('/v2/token/generate', flipped.toString('base64')), 400, expected);
  });

  it('stale or future timestamp (beyond the operator’s ±2 min)', async () => {
    const expected = { status: 'client_error', message: 'Invalid timestamp: Request too old or client time drift.' };
    await expectJson(await send('/v2/token/generate', generateBody({ now: Date.now() - 3 * 60_000 }).base64), 400, expected);
    await expectJson(await send('/v2/token/generate', generateBody({ now: Date.now() + 3 * 60_000 }).base64), 400, expected);
    expect((await send('/v2/token/generate', generateBody({ now: Date.now() - 60_000 }).base64)).status).toBe(200);
  });

  it('replayed envelope: accepted inside the window (the operator keeps no nonce cache), stale after it', async () => {
    const sealed = generateBody();
    const first = await send('/v2/token/generate', sealed.base64);
    const second = await send('/v2/token/generate', sealed.base64);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(openResponse(await second.text(), op.credentials(103).secret, sealed.nonce)).toMatchObject({ status: 'success' });
    clock.offset = 3 * 60_000;
    await expectJson(await send('/v2/token/generate', sealed.base64), 400, { status: 'client_error', message: 'Invalid timestamp: Request too old or client time drift.' });
  });

  it('bad JSON inside a valid envelope', async () => {
    const secret = Buffer.from(op.credentials(103).secret, 'base64');
    const { createCipheriv, randomBytes } = await import('node:crypto');
    const iv = randomBytes(12);
    const header = Buffer.alloc(16);
    header.writeBigInt64BE(BigInt(Date.now()));
    for (const json of ['{"email": ', '[1,2]', '"text"']) {
      const cipher = createCipheriv('aes-256-gcm', secret, iv);
      const ct = Buffer.concat([cipher.update(Buffer.concat([header, Buffer.from(json)])), cipher.final()]);
      const body = Buffer.concat([Buffer.of(1), iv, ct, cipher.getAuthTag()]).toString('base64');
      await expectJson(await send('/v2/token/generate', body), 400, { status: 'client_error', message: 'Invalid payload in body: Data is not valid json string.' });
    }
  });

  it('octet-stream requests get raw sealed bytes back', async () => {
    const sealed = generateBody();
    const res = await send('/v2/token/generate', sealed.envelope, 103, 'application/octet-stream');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(openResponse(new Uint8Array(await res.arrayBuffer()), op.credentials(103).secret, sealed.nonce)).toMatchObject({ status: 'success' });
    // base64 text sent as octet-stream falls back to text, as the operator does
    const fallback = await send('/v2/token/generate', generateBody().base64, 103, 'application/octet-stream');
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});

describe('authentication (401 unauthorized, no message)', () => {
  const call = (authorization: string | null) =>
    fetch(`${op.url}/v2/token/generate`, { method: 'POST', headers: authorization ? { Authorization: authorization } : {}, body: generateBody().base64 });

  it('missing, unknown, wrong-scheme and disabled keys', async () => {
    const key = op.credentials(103).apiKey;
    for (const header of [null, 'Bearer nope', `Basic ${key}`, `Bearer ${key}x`, `Bearer ${key.replace('103', '101')}`]) {
      const res = await call(header);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ status: 'unauthorized' });
    }
    expect((await call(`  bEaReR ${key}  `)).status).toBe(200);
  });
});

describe('transport-level errors', () => {
  it('oversized body (> 1 MiB) -> 413 Request Entity Too Large', async () => {
    const res = await send('/v2/token/generate', 'A'.repeat(1024 * 1024 + 4));
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('Request Entity Too Large');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('oversized body to refresh and client-generate too', async () => {
    for (const path of ['/v2/token/refresh', '/v2/token/client-generate']) {
      const res = await send(path, 'A'.repeat(1024 * 1024 + 4));
      expect(res.status).toBe(413);
    }
  });

  it('unknown route -> 404, wrong method -> 405', async () => {
    const missing = await fetch(`${op.url}/v2/token/nothing`, { method: 'POST', headers: { Origin: 'http://localhost:3000' } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('<html><body><h1>Resource not found</h1></body></html>');
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const wrongMethod = await fetch(`${op.url}/v2/token/generate`);
    expect(wrongMethod.status).toBe(405);
  });

  it('garbage refresh tokens of every length', async () => {
    for (const body of ['', 'x', '!'.repeat(388), 'A'.repeat(388), 'A'.repeat(168), Buffer.alloc(291, 0xff).toString('base64')]) {
      const res = await send('/v2/token/refresh', body);
      expect(res.status).toBe(400);
      const json = await res.json();
      expect(['client_error', 'invalid_token']).toContain(json.status);
    }
  });

  it('a request body with a broken gzip encoding -> 4xx, not 500', async () => {
    const res = await fetch(`${op.url}/v2/token/generate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${op.credentials(103).apiKey}`, 'Content-Encoding': 'gzip' },
      body: 'definitely not gzip',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('random input never gets a 5xx', () => {
  it('any body, with or without a key, to every route', async () => {
    const fc = (await import('fast-check')).default;
    const routes = ['/v2/token/generate', '/v2/token/refresh', '/v2/token/client-generate', '/v2/token/validate', '/v2/token/logout', '/v2/key/sharing', '/v2/key/bidstream', '/v2/optout/status', '/v2/identity/map', '/v3/identity/map', '/v2/identity/buckets'];
    const body = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.base64String({ maxLength: 600 }),
      fc.json().map((j) => j),
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64')),
      fc.constantFrom('A'.repeat(388), generateBody().base64),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, fc.boolean(), fc.constantFrom('text/plain', 'application/octet-stream', 'application/json'), async (route, text, withKey, type) => {
        const headers: Record<string, string> = { 'Content-Type': type };
        if (withKey) headers.Authorization = `Bearer ${op.credentials(102).apiKey}`;
        const res = await fetch(`${op.url}${route}`, { method: 'POST', headers, body: text });
        await res.arrayBuffer();
        return res.status < 500;
      }),
      { numRuns: 150 },
    );
  });

  it('sealed envelopes with random JSON payloads to every enveloped route', async () => {
    const fc = (await import('fast-check')).default;
    const { apiKey, secret } = op.credentials(103);
    await admin(op, 'PATCH', '/participants/103', { roles: ['GENERATOR', 'MAPPER', 'OPTOUT', 'SHARER', 'ID_READER'] });
    const routes = ['/v2/token/generate', '/v2/token/validate', '/v2/token/logout', '/v2/key/sharing', '/v2/key/bidstream', '/v2/optout/status', '/v2/identity/map', '/v3/identity/map', '/v2/identity/buckets'];
    const field = fc.constantFrom('email', 'email_hash', 'phone', 'phone_hash', 'token', 'advertising_ids', 'optout_check', 'since_timestamp');
    const value = fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))), fc.integer(), fc.constant(null), fc.base64String({ minLength: 44, maxLength: 44 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.dictionary(field, value, { maxKeys: 3 }), async (route, payload) => {
        const res = await fetch(`${op.url}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}` }, body: sealRequest(payload, secret).base64 });
        await res.arrayBuffer();
        return res.status === 200 || res.status === 400;
      }),
      { numRuns: 200 },
    );
    await admin(op, 'PATCH', '/participants/103', { roles: ['GENERATOR'] });
  });
});
