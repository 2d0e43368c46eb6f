// PublisherClient against the fault operator: request framing, answers, and every failure mode.
// (Token generation/refresh against the real operator: publisher-client.operator.test.ts.)
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidDiiError, normalizeAndHashEmail } from '../../src/dii/index.ts';
import { EnvelopeError } from '../../src/envelope/index.ts';
import { Uid2HttpError, Uid2NetworkError, Uid2ResponseError } from '../../src/clients/errors.ts';
import { IdentityTokens, type IdentityTokensJson } from '../../src/clients/identity-tokens.ts';
import { PublisherClient } from '../../src/clients/publisher-client.ts';
import { startFaultOperator, type FaultOperator, type RouteAnswer } from './fault-operator.ts';

const SECRET = randomBytes(32).toString('base64');
const API_KEY = 'UID2-C-L-103-abcdef.' + 'k'.repeat(38);
const NOW = Date.now();

function wireIdentity(overrides: Partial<IdentityTokensJson> = {}): IdentityTokensJson {
  return {
    advertising_token: 'A4AAAAAdvertisingTokenFromTheFaultOperator',
    refresh_token: 'R'.repeat(388),
    identity_expires: NOW + 3_600_000,
    refresh_expires: NOW + 86_400_000,
    refresh_from: NOW + 900_000,
    refresh_response_key: randomBytes(32).toString('base64'),
    ...overrides,
  };
}

let operator: FaultOperator;
let answer: (path: string, payload: unknown, body: string) => RouteAnswer;
let client: PublisherClient;

beforeEach(async () => {
  answer = () => ({ kind: 'envelope', json: { status: 'success', body: wireIdentity() } });
  operator = await startFaultOperator(SECRET, (path, payload, body) => answer(path, payload, body));
  client = new PublisherClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET, timeoutMs: 500 });
});
afterEach(async () => {
  await operator.close();
});

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function expectNoSecretsIn(error: Error, ...more: string[]): void {
  for (const secret of [API_KEY, SECRET, ...more]) expect(error.message).not.toContain(secret);
}

describe('generateToken', () => {
  it('sends the hashed email through the v2 envelope with the operator headers', async () => {
    const identity = wireIdentity();
    answer = () => ({ kind: 'envelope', json: { status: 'success', body: identity } });
    const result = await client.generateToken({ email: 'Jane.Doe+News@GMail.com' });

    expect(result.status).toBe('success');
    if (result.status !== 'success') return;
    expect(result.identity).toBeInstanceOf(IdentityTokens);
    expect(result.identity.toJson()).toEqual(identity);

    const [request] = operator.received;
    expect(request!.path).toBe('/v2/token/generate');
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request!.headers['x-uid2-client-version']).toMatch(/^uid2-pixels-ts-/);
    expect(request!.headers['content-type']).toMatch(/^text\/plain/);
    expect(request!.envelope!.version).toBe(1);
    expect(Math.abs(request!.envelope!.timestamp - Date.now())).toBeLessThan(5_000);
    expect(request!.envelope!.payload).toEqual({ email_hash: normalizeAndHashEmail('janedoe@gmail.com') });
    expect(request!.body).not.toContain('jane');
  });

  it('sends hashes, phones and the consent string as given', async () => {
    await client.generateToken({ phone: '+12345678901', sendUnhashed: true, tcfConsentString: 'CPGUSAAAAAA' });
    expect(operator.received[0]!.envelope!.payload).toEqual({ phone: '+12345678901', tcf_consent_string: 'CPGUSAAAAAA' });
  });

  it('answers optout and insufficient_user_consent without an identity', async () => {
    answer = () => ({ kind: 'envelope', json: { status: 'optout' } });
    expect(await client.generateToken({ email: 'optout@example.com' })).toEqual({ status: 'optout' });
    answer = () => ({ kind: 'envelope', json: { status: 'insufficient_user_consent' } });
    expect(await client.generateToken({ email: 'a@b.com' })).toEqual({ status: 'insufficient_user_consent' });
  });

  it('rejects invalid DII before any request', async () => {
    await expect(client.generateToken({ email: 'no-at-sign' })).rejects.toBeInstanceOf(InvalidDiiError);
    await expect(client.generateToken({ phone: '1 (234) 567-8901' })).rejects.toBeInstanceOf(InvalidDiiError);
    expect(operator.received).toHaveLength(0);
  });

  it('turns a 400 into Uid2HttpError with the operator status, without echoing secrets or DII', async () => {
    operator.queueFaults('client-error');
    const error = await caught(client.generateToken({ email: 'person@example.com' }));
    expect(error).toBeInstanceOf(Uid2HttpError);
    const http = error as Uid2HttpError;
    expect(http.code).toBe('http-error');
    expect(http.httpStatus).toBe(400);
    expect(http.operatorStatus).toBe('client_error');
    expect(http.operatorMessage).toBe('Invalid Identifier');
    expect(http.message).toBe('POST /v2/token/generate failed: HTTP 400 (client_error)');
    expectNoSecretsIn(http, 'person@example.com');
  });

  it('turns a 401 and a plain-text 500 into Uid2HttpError', async () => {
    operator.queueFaults('unauthorized', 'http-500');
    const unauthorized = (await caught(client.generateToken({ email: 'a@b.com' }))) as Uid2HttpError;
    expect([unauthorized.httpStatus, unauthorized.operatorStatus]).toEqual([401, 'unauthorized']);
    const internal = (await caught(client.generateToken({ email: 'a@b.com' }))) as Uid2HttpError;
    expect(internal).toBeInstanceOf(Uid2HttpError);
    expect([internal.httpStatus, internal.operatorStatus]).toEqual([500, null]);
  });

  it('refuses an answer that fails the MAC (EnvelopeError mac)', async () => {
    operator.queueFaults('bad-mac');
    const error = await caught(client.generateToken({ email: 'a@b.com' }));
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).code).toBe('mac');
    expectNoSecretsIn(error);
  });

  it('refuses an answer that echoes another nonce (EnvelopeError nonce-mismatch)', async () => {
    operator.queueFaults('nonce-mismatch');
    const error = await caught(client.generateToken({ email: 'a@b.com' }));
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).code).toBe('nonce-mismatch');
  });

  it('refuses an unexpected status or an identity with missing fields (Uid2ResponseError)', async () => {
    operator.queueFaults('status-error');
    expect(await caught(client.generateToken({ email: 'a@b.com' }))).toBeInstanceOf(Uid2ResponseError);
    const broken: Record<string, unknown> = { ...wireIdentity() };
    delete broken.refresh_from;
    answer = () => ({ kind: 'envelope', json: { status: 'success', body: broken } });
    const error = await caught(client.generateToken({ email: 'a@b.com' }));
    expect(error).toBeInstanceOf(Uid2ResponseError);
    expect(error.message).toContain('refresh_from');
  });

  it('reports a dropped connection, a timeout and a stopped operator as Uid2NetworkError', async () => {
    operator.queueFaults('reset', 'slow');
    const reset = await caught(client.generateToken({ email: 'a@b.com' }));
    expect(reset).toBeInstanceOf(Uid2NetworkError);
    expect(reset.message).toMatch(/^POST \/v2\/token\/generate failed: operator unreachable/);

    const slow = await caught(client.generateToken({ email: 'a@b.com' }));
    expect(slow).toBeInstanceOf(Uid2NetworkError);
    expect(slow.message).toContain('did not answer in time');

    await operator.close();
    const down = await caught(client.generateToken({ email: 'a@b.com' }));
    expect(down).toBeInstanceOf(Uid2NetworkError);
    expect(down.message).toContain('ECONNREFUSED');
    expect((down as Uid2NetworkError).code).toBe('network-error');
  });

  it('keeps a path prefix in the base URL', async () => {
    const prefixed = new PublisherClient({ baseUrl: `${operator.url}/uid2/`, apiKey: API_KEY, secret: SECRET });
    await prefixed.generateToken({ email: 'a@b.com' });
    expect(operator.received[0]!.path).toBe('/uid2/v2/token/generate');
  });
});

describe('refreshToken', () => {
  const current = IdentityTokens.fromJson(wireIdentity());

  it('posts the refresh token text and decrypts the answer with refresh_response_key', async () => {
    const next = wireIdentity({ advertising_token: 'A4Refreshed' });
    answer = () => ({ kind: 'refresh', key: current.refreshResponseKey, json: { status: 'success', body: next } });
    const result = await client.refreshToken(current);
    expect(result).toEqual({ status: 'success', identity: IdentityTokens.fromJson(next) });
    const [request] = operator.received;
    expect(request!.path).toBe('/v2/token/refresh');
    expect(request!.body).toBe(current.refreshToken);
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('answers optout, expired and invalid', async () => {
    answer = () => ({ kind: 'refresh', key: current.refreshResponseKey, json: { status: 'optout' } });
    expect(await client.refreshToken(current)).toEqual({ status: 'optout' });

    answer = () => ({ kind: 'plain', status: 400, json: { status: 'expired_token', message: 'Expired Token presented' } });
    expect(await client.refreshToken(current)).toEqual({ status: 'expired' });

    answer = () => ({ kind: 'plain', status: 400, json: { status: 'invalid_token', message: 'Invalid Token presented' } });
    expect(await client.refreshToken(current)).toEqual({ status: 'invalid' });

    answer = () => ({ kind: 'plain', status: 400, json: { status: 'client_error', message: 'Invalid data: Check encryption method and encryption key.' } });
    expect(await client.refreshToken(current)).toEqual({ status: 'invalid' });
  });

  it('does not call the operator for an identity whose refresh token has expired', async () => {
    const old = IdentityTokens.fromJson(wireIdentity({ refresh_expires: Date.now() - 1 }));
    expect(await client.refreshToken(old)).toEqual({ status: 'expired' });
    expect(operator.received).toHaveLength(0);
  });

  it('refuses an answer encrypted under another key (EnvelopeError mac) and other errors', async () => {
    answer = () => ({ kind: 'refresh', key: randomBytes(32).toString('base64'), json: { status: 'success' } });
    const error = await caught(client.refreshToken(current));
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).code).toBe('mac');
    expectNoSecretsIn(error, current.refreshResponseKey, current.refreshToken);

    answer = () => ({ kind: 'plain', status: 400, json: { status: 'error', message: 'Error refreshing token' } });
    expect(await caught(client.refreshToken(current))).toBeInstanceOf(Uid2HttpError);

    operator.queueFaults('http-500');
    expect(await caught(client.refreshToken(current))).toBeInstanceOf(Uid2HttpError);
  });
});

describe('IdentityTokens', () => {
  it('round-trips the wire JSON, as object and as text, field order included', () => {
    const wire = wireIdentity();
    const identity = IdentityTokens.fromJson(wire);
    expect(identity.toJson()).toEqual(wire);
    expect(JSON.stringify(identity)).toBe(JSON.stringify(wire));
    expect(IdentityTokens.fromJson(JSON.stringify(identity)).toJson()).toEqual(wire);
    expect(identity.advertisingToken).toBe(wire.advertising_token);
    expect(identity.refreshFrom).toBe(wire.refresh_from);
  });

  it.each([
    ['not json', 'not valid JSON'],
    [[], 'not an object'],
    [{ ...wireIdentity(), advertising_token: '' }, '"advertising_token"'],
    [{ ...wireIdentity(), identity_expires: '1700000000000' }, '"identity_expires"'],
    [{ ...wireIdentity(), refresh_response_key: undefined }, '"refresh_response_key"'],
  ])('fromJson(%j) names what is wrong', (input, what) => {
    expect(() => IdentityTokens.fromJson(input)).toThrow(what);
  });

  it('knows when it is due for refresh, refreshable and expired', () => {
    const identity = IdentityTokens.fromJson(wireIdentity({ refresh_from: 1000, identity_expires: 2000, refresh_expires: 3000 }));
    expect([identity.isDueForRefresh(999), identity.isDueForRefresh(1000), identity.isDueForRefresh(3000)]).toEqual([false, true, false]);
    expect([identity.isRefreshable(2999), identity.isRefreshable(3000)]).toEqual([true, false]);
    expect([identity.isExpired(1999), identity.isExpired(2000)]).toEqual([false, true]);
  });

  it('never prints its tokens or key when logged', () => {
    const identity = IdentityTokens.fromJson(wireIdentity());
    const printed = inspect(identity);
    expect(printed).not.toContain(identity.advertisingToken);
    expect(printed).not.toContain(identity.refreshResponseKey);
    expect(printed).toContain(String(identity.refreshFrom));
  });
});
