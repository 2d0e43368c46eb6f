import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  EnvelopeError,
  isRequestTimestampAcceptable,
  MIN_REQUEST_LENGTH,
  openRequest,
  openResponse,
  sealRequest,
  sealResponse,
} from '../src/envelope/index.ts';
import { aesGcmDecrypt, aesGcmEncrypt } from '../src/crypto/aes.ts';
import { Uid2Error } from '../src/errors.ts';

// Fixture from the operator's V2RequestUtilTest (operator-api.md §11 item 1): a real client request.
const FIXTURE_SECRET = Buffer.from('YGdzZw9oM2RzBgB8THMyAEe408lvdfsTsGteaLAGayY=', 'base64');
const FIXTURE_NOW = Date.parse('2024-03-20T04:02:46.130Z');
const FIXTURE_BODY =
  'ATDX9gBKxgQaLwUi9ZDbSqo1b66u55jEN322XSR+aCvOy/c3ZiaVOh8VG22pDUSSNaUqfUwwxxYT0pS9zjW7oVPCeluHU5GCc+6A+LUTIQ8vOR+1CN7ds/61Bp82RzKf5wPABMNtqr1XkoN6d5FU/R0vpxf2hfo1cYYmW0ziCy15pPh17GN2vNTn6YK6g+MAi/dDC7mG+Mxnh9ZaEz+3IetgDPWfp5zHh/T3LWhDAA+2drlDn8KwcQE/TYKh5raR4BDHmhgBUCU6+nymoWruNYxzcII63xMTLMTGzpinNnTL3iBPII9lKRJJ2ZrGjjgMMXi066iaDDpBHH3xY+bAwriU+6GEsE8bveRMwRqT83gmkYp6mn+75Yrpdw==';
// Same test file: a body whose JSON is malformed, sealed at 2024-03-20T06:33:15.627Z.
const FIXTURE_BAD_JSON_NOW = Date.parse('2024-03-20T06:33:15.627Z');
const FIXTURE_BAD_JSON_BODY =
  'AWDCc1W2zSIJUFbCF1Ti7FxS9Vq4xywgUxHWm60+aaNIbk9k1c3GLjcezo6ZGx3J9TUEKdCXLVi+t2d4T17acgSZYRhfTUC6OfxEHxzSkhDLviQ6BXqrx0Ute5PWT55FYG5dR8YM8CAUfLuWSxCq4yB+aJ/Sojpl2nmDO7sn7D6K+dAsdCtyciM+8ihxzOb7obhlOhjS5159XqkQTcAQvbfLXi/QJRtFPoDBpwQQZ3TvBFPUvh8uiT0Zb708Xt7zt9NHziqkwAcJWIvnTgLkxBdACpbGGl3mNcwJhHwBM0m9zlSy050yyx/b+U1mJxjj5yqBwaNSzTKiGHs+M1+vhmVD8w7J13Ec+jAUa8rUeN7c61GD/Rh7GndeEBo4WVLvfw==';

const secret = randomBytes(32);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EnvelopeError);
    expect(e).toBeInstanceOf(Uid2Error);
    return (e as EnvelopeError).code;
  }
  throw new Error('expected an EnvelopeError');
}

describe('openRequest with the operator fixture', () => {
  it('opens the real client request: timestamp, nonce and JSON (with whitespace and newline)', () => {
    const r = openRequest(FIXTURE_BODY, FIXTURE_SECRET, { now: FIXTURE_NOW });
    expect(r.timestamp).toBe(1710907366130);
    expect(Buffer.from(r.nonce).toString('hex')).toBe('30e8280192351c0c');
    expect(r.payload).toEqual({
      token:
        'AdvertisingTokenmZ4dZgeuXXl6DhoXqbRXQbHlHhA96leN94U1uavZVspwKXlfWETZ3b%2FbesPFFvJxNLLySg4QEYHUAiyUrNncgnm7ppu0mi6wU2CW6hssiuEkKfstbo9XWgRUbWNTM%2BewMzXXM8G9j8Q%3D',
      email_hash: 'LdhtUlMQ58ZZy5YUqGPRQw5xUMS5dXG5ocJHYJHbAKI=',
    });
  });

  it('opens the same bytes sent as application/octet-stream', () => {
    const raw = Buffer.from(FIXTURE_BODY, 'base64');
    expect(openRequest(raw, FIXTURE_SECRET, { now: FIXTURE_NOW }).timestamp).toBe(1710907366130);
  });

  it('rejects the malformed-JSON fixture with bad-json', () => {
    expect(codeOf(() => openRequest(FIXTURE_BAD_JSON_BODY, FIXTURE_SECRET, { now: FIXTURE_BAD_JSON_NOW }))).toBe('bad-json');
  });

  it('applies the operator timestamp window to the fixture (~2 minutes, asymmetric by 1 s)', () => {
    const ts = 1710907366130;
    const ok = (now: number) => {
      try {
        openRequest(FIXTURE_BODY, FIXTURE_SECRET, { now });
        return true;
      } catch (e) {
        expect((e as EnvelopeError).code).toBe('timestamp');
        return false;
      }
    };
    expect(ok(ts + 119_999)).toBe(true);
    expect(ok(ts + 120_000)).toBe(false);
    expect(ok(ts - 119_000)).toBe(true);
    expect(ok(ts - 119_001)).toBe(false);
    expect(ok(ts + 3_600_000)).toBe(false);
  });
});

describe('openRequest failure codes, in the operator order', () => {
  it.each([
    ['missing body (undefined)', undefined, 'body-missing'],
    ['missing body (empty string)', '', 'body-missing'],
    ['missing body (empty bytes)', new Uint8Array(0), 'body-missing'],
    ['text that is not base64 (operator test: "test string")', 'test string', 'bad-base64'],
    ['unencrypted JSON', '{"email":"a@b.c"}', 'unencrypted-json'],
    ['unencrypted JSON with whitespace', ' {\n "email_hash": "x" }\n', 'unencrypted-json'],
    ['text that starts like JSON but is not', '{nope', 'bad-base64'],
    ['too short (operator test: "dGVzdA==")', 'dGVzdA==', 'too-short'],
  ] as const)('%s', (_n, body, code) => {
    expect(codeOf(() => openRequest(body, FIXTURE_SECRET, { now: FIXTURE_NOW }))).toBe(code);
  });

  it('reports the received version byte', () => {
    const raw = Buffer.from(FIXTURE_BODY, 'base64');
    raw[0] = 2;
    try {
      openRequest(raw, FIXTURE_SECRET, { now: FIXTURE_NOW });
      expect.unreachable();
    } catch (e) {
      expect((e as EnvelopeError).code).toBe('bad-version');
      expect((e as EnvelopeError).receivedVersion).toBe(2);
    }
  });

  it('says mac for a wrong secret or any altered byte after the version', () => {
    expect(codeOf(() => openRequest(FIXTURE_BODY, secret, { now: FIXTURE_NOW }))).toBe('mac');
    const raw = Buffer.from(FIXTURE_BODY, 'base64');
    for (const i of [1, 13, 40, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[i]! ^= 0x80;
      expect(codeOf(() => openRequest(bad, FIXTURE_SECRET, { now: FIXTURE_NOW }))).toBe('mac');
    }
  });

  it('carries any JSON text byte for byte: ASCII, accents, other scripts, emoji', () => {
    for (const payload of [{ email: 'x@example.com' }, { email: 'élodie@exämple.fr' }, { name: '例え 🎉', ids: ['a', 'ß'] }]) {
      const sealed = sealRequest(payload, secret, { now: 1000 });
      const plain = aesGcmDecrypt(secret, sealed.envelope.subarray(1))!;
      expect(plain.subarray(16).toString('utf8')).toBe(JSON.stringify(payload));
      expect(openRequest(sealed.envelope, secret, { now: 1000 }).payload).toEqual(payload);
    }
  });

  it('accepts the smallest envelope (no JSON) and rejects one byte less', () => {
    const sealed = sealRequest(undefined, secret, { now: 1000 });
    expect(sealed.envelope.length).toBe(MIN_REQUEST_LENGTH);
    expect(openRequest(sealed.envelope, secret, { now: 1000 }).payload).toBeNull();
    expect(codeOf(() => openRequest(sealed.envelope.subarray(0, MIN_REQUEST_LENGTH - 1), secret, { now: 1000 }))).toBe('too-short');
  });

  it.each([['array', '[1,2]'], ['string', '"x"'], ['number', '42'], ['null', 'null'], ['garbage', '{oops'], ['bad utf-8', '\u00ff']])(
    'rejects a JSON %s as bad-json',
    (_n, text) => {
      // Build the inner plaintext by hand: the layout is the contract, not our sealRequest.
      const inner = Buffer.concat([Buffer.alloc(8), randomBytes(8), Buffer.from(text, text === '\u00ff' ? 'latin1' : 'utf8')]);
      inner.writeBigInt64BE(5000n, 0);
      const env = Buffer.concat([Buffer.from([1]), aesGcmEncrypt(secret, inner)]);
      expect(codeOf(() => openRequest(env, secret, { now: 5000 }))).toBe('bad-json');
    },
  );

  it('throws bad-secret for a secret that is not 32 bytes', () => {
    expect(codeOf(() => openRequest(FIXTURE_BODY, new Uint8Array(16), { now: FIXTURE_NOW }))).toBe('bad-secret');
    expect(codeOf(() => sealRequest({}, new Uint8Array(31)))).toBe('bad-secret');
    expect(codeOf(() => sealRequest({}, 'not base64 at all'))).toBe('bad-secret');
    expect(codeOf(() => sealRequest({}, 'dGVzdA=='))).toBe('bad-secret');
  });

  it('accepts the secret as the portal shows it (base64 text)', () => {
    const r = openRequest(FIXTURE_BODY, 'YGdzZw9oM2RzBgB8THMyAEe408lvdfsTsGteaLAGayY=', { now: FIXTURE_NOW });
    expect(r.timestamp).toBe(1710907366130);
  });
});

describe('sealRequest', () => {
  it('lays out 0x01 || IV || GCM(ts || nonce || JSON) || tag', () => {
    const nonce = Buffer.from('0011223344556677', 'hex');
    const iv = Buffer.alloc(12, 9);
    const s = sealRequest({ email: 'x@example.com' }, secret, { now: 1710907366130, nonce, iv });
    expect(s.envelope[0]).toBe(1);
    expect(Buffer.from(s.envelope.subarray(1, 13)).equals(iv)).toBe(true);
    expect(s.base64).toBe(Buffer.from(s.envelope).toString('base64'));
    const inner = Buffer.from(aesGcmDecrypt(secret, s.envelope.subarray(1))!);
    expect(inner.readBigInt64BE(0)).toBe(1710907366130n);
    expect(inner.subarray(8, 16).toString('hex')).toBe('0011223344556677');
    expect(JSON.parse(inner.subarray(16).toString())).toEqual({ email: 'x@example.com' });
    expect(Buffer.from(s.nonce).equals(nonce)).toBe(true);
  });

  it('is byte-identical for identical inputs (deterministic with injected iv and nonce)', () => {
    const o = { now: 1, nonce: Buffer.alloc(8, 1), iv: Buffer.alloc(12, 2) };
    expect(sealRequest({ a: 1 }, secret, o).base64).toBe(sealRequest({ a: 1 }, secret, o).base64);
  });

  it('round-trips through openRequest with a random nonce', () => {
    const now = Date.now();
    const s = sealRequest({ token: 'abc' }, secret, { now });
    const r = openRequest(s.base64, secret, { now });
    expect(r.payload).toEqual({ token: 'abc' });
    expect(Buffer.from(r.nonce).equals(Buffer.from(s.nonce))).toBe(true);
    expect(r.timestamp).toBe(now);
  });
});

describe('sealResponse / openResponse', () => {
  it('round-trips as base64 text and as raw bytes, echoing the nonce', () => {
    const req = sealRequest(undefined, secret, { now: 10_000 });
    const opened = openRequest(req.envelope, secret, { now: 10_000 });
    const body = { status: 'success', body: { keys: [] } };
    const resp = sealResponse(body, secret, opened.nonce, 10_050);
    expect(openResponse(resp, secret, req.nonce)).toEqual(body);
    expect(openResponse(Buffer.from(resp).toString('base64'), secret, req.nonce)).toEqual(body);
  });

  it('lays out IV || GCM(now || nonce || JSON) || tag with no version byte', () => {
    const nonce = randomBytes(8);
    const iv = randomBytes(12);
    const resp = sealResponse({ status: 'success' }, secret, nonce, 123456789, iv);
    expect(Buffer.from(resp.subarray(0, 12)).equals(iv)).toBe(true);
    const inner = Buffer.from(aesGcmDecrypt(secret, resp)!);
    expect(inner.readBigInt64BE(0)).toBe(123456789n);
    expect(inner.subarray(8, 16).equals(nonce)).toBe(true);
    expect(inner.subarray(16).toString()).toBe('{"status":"success"}');
  });

  it('reports nonce-mismatch, mac, bad-base64, too-short and bad-json', () => {
    const nonce = randomBytes(8);
    const resp = sealResponse({ status: 'success' }, secret, nonce, 1);
    expect(codeOf(() => openResponse(resp, secret, randomBytes(8)))).toBe('nonce-mismatch');
    expect(codeOf(() => openResponse(resp, randomBytes(32), nonce))).toBe('mac');
    expect(codeOf(() => openResponse('not base64!', secret, nonce))).toBe('bad-base64');
    expect(codeOf(() => openResponse(resp.subarray(0, 40), secret, nonce))).toBe('too-short');
    const inner = Buffer.concat([Buffer.alloc(8), nonce, Buffer.from('not json')]);
    expect(codeOf(() => openResponse(aesGcmEncrypt(secret, inner), secret, nonce))).toBe('bad-json');
    const empty = Buffer.concat([Buffer.alloc(8), nonce]);
    expect(codeOf(() => openResponse(aesGcmEncrypt(secret, empty), secret, nonce))).toBe('bad-json');
  });
});

describe('isRequestTimestampAcceptable', () => {
  it('mirrors Duration.toMinutes truncation', () => {
    expect(isRequestTimestampAcceptable(0, 0)).toBe(true);
    expect(isRequestTimestampAcceptable(0, 119_999)).toBe(true);
    expect(isRequestTimestampAcceptable(0, 120_000)).toBe(false);
    expect(isRequestTimestampAcceptable(119_000, 0)).toBe(true);
    expect(isRequestTimestampAcceptable(119_001, 0)).toBe(false);
  });
});
