// SharingClient and BidstreamClient: keys synced over HTTP (fault operator serving the vector key
// bodies), then encrypt/decrypt through the synced ring must give the SDK vectors' answers.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BidstreamClient } from '../../src/clients/bidstream-client.ts';
import { SharingClient } from '../../src/clients/sharing-client.ts';
import type { DecryptionResult } from '../../src/types.ts';
import { STATUS_FROM_SDK, VERSION_FROM_SDK, vectors, type TokenCase, type VectorExpected } from '../vectors.ts';
import { startFaultOperator, type FaultOperator } from './fault-operator.ts';

const { keysets, cases: tokenCases, sharing_encrypt: encryptCases } = vectors;

const SECRET = randomBytes(32).toString('base64');
const API_KEY = 'UID2-C-L-104-abcdef.' + 'k'.repeat(38);

function statusName(sdk: string): string {
  const name = STATUS_FROM_SDK[sdk];
  if (name === undefined) throw new Error(`unknown SDK status in vectors: ${sdk}`);
  return name;
}

function asResult(expected: VectorExpected): DecryptionResult {
  return {
    status: statusName(expected.status) as DecryptionResult['status'],
    // The codec's deliberate divergence: no uid for any non-Success status (the SDK returns one for a
    // v2 token that fails the lifetime check; a receiver that fails a check gets nothing).
    uid: expected.status === 'SUCCESS' ? expected.uid : null,
    siteId: expected.site_id,
    siteKeySiteId: expected.site_key_site_id,
    established: expected.established_ms,
    identityType: expected.identity_type,
    identityScope: expected.identity_scope,
    tokenVersion: expected.advertising_token_version === null ? null : VERSION_FROM_SDK[expected.advertising_token_version]!,
    isClientSideGenerated: expected.is_client_side_generated,
    expires: expected.expiry_ms,
  };
}

const operators: FaultOperator[] = [];
const clients: Array<{ stop(): void }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.stop();
  for (const operator of operators.splice(0)) await operator.close();
});

async function serving(body: unknown): Promise<FaultOperator> {
  const operator = await startFaultOperator(SECRET, () => ({ kind: 'envelope', json: { status: 'success', body } }));
  operators.push(operator);
  return operator;
}

async function startedClient<T extends SharingClient | BidstreamClient>(
  Kind: new (options: ConstructorParameters<typeof SharingClient>[0]) => T,
  body: unknown,
  clock: { now: number },
): Promise<T> {
  const operator = await serving(body);
  const client = new Kind({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET, now: () => clock.now });
  clients.push(client);
  await client.start();
  return client;
}

// Cases where we deliberately differ from the SDK are the codec's to assert; here we check that the
// clients hand the synced ring, the clock and the client kind to it.
const DIVERGENT = (c: TokenCase): boolean =>
  c.match !== 'exact' || c.tags.some((t) => t === 'privacy-bits' || t.startsWith('divergence:') || t === 'quirk:lenient-base64');

describe('SharingClient and BidstreamClient decrypt the SDK vector tokens with synced keys', () => {
  const cases = tokenCases.filter((c) => !DIVERGENT(c));
  it('has cases for both clients', () => {
    expect(cases.filter((c) => c.client === 'bidstream').length).toBeGreaterThan(2);
    expect(cases.filter((c) => c.client === 'sharing').length).toBeGreaterThan(50);
  });
  for (const c of cases) {
    it(`${c.client}: ${c.id}`, async () => {
      const clock = { now: c.now_ms };
      const body = keysets[c.keyset];
      const result =
        c.client === 'sharing'
          ? (await startedClient(SharingClient, body, clock)).decrypt(c.token)
          : (await startedClient(BidstreamClient, body, clock)).decrypt(c.token);
      expect(result).toEqual(asResult(c.expected));
    });
  }
});

describe('SharingClient.encrypt', () => {
  const cases = encryptCases.filter((c) => c.expected_encrypt.status !== null);
  for (const c of cases) {
    it(`${c.id}: status ${c.expected_encrypt.status}, and the token decrypts as the SDK's did`, async () => {
      const clock = { now: c.now_ms };
      const client = await startedClient(SharingClient, keysets[c.keyset], clock);
      const encrypted = c.keyset_id === null ? client.encrypt(c.raw_uid) : client.encrypt(c.raw_uid, { keysetId: c.keyset_id });
      expect(encrypted.status).toBe(statusName(c.expected_encrypt.status!));
      if (encrypted.status !== 'Success') return expect(encrypted.token).toBeNull();
      for (const d of (c.decrypt ?? []).filter((x) => x.client === 'sharing')) {
        clock.now = d.now_ms;
        expect(client.decrypt(encrypted.token!)).toEqual(asResult(d.expected));
      }
    });
  }
});

describe('before keys arrive, and across clients', () => {
  it('answers NotInitialized until the first refresh', async () => {
    const operator = await serving(keysets.main);
    const sharing = new SharingClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET });
    const bidstream = new BidstreamClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET });
    const rawUid = encryptCases[0]!.raw_uid;
    expect(sharing.encrypt(rawUid)).toEqual({ status: 'NotInitialized', token: null });
    expect(sharing.decrypt(tokenCases[0]!.token).status).toBe('NotInitialized');
    expect(bidstream.decrypt(tokenCases[0]!.token)).toMatchObject({ status: 'NotInitialized', uid: null });
  });

  it('a sharing token is refused by a bidstream client (lifetime over the bid-stream maximum)', async () => {
    const first = encryptCases[0]!;
    const clock = { now: first.now_ms };
    const sharing = await startedClient(SharingClient, keysets.main, clock);
    // A /v2/key/bidstream body from the same keys: identity lifetime 3600 s (+10), no sharing fields.
    const { max_sharing_lifetime_seconds: _s, token_expiry_seconds: _t, ...rest } = keysets.main!;
    const bidstream = await startedClient(BidstreamClient, { ...rest, max_bidstream_lifetime_seconds: 3610 }, clock);

    const { status, token } = sharing.encrypt(first.raw_uid);
    expect(status).toBe('Success');
    expect(sharing.decrypt(token!)).toMatchObject({ status: 'Success', uid: first.raw_uid });
    expect(bidstream.decrypt(token!)).toMatchObject({ status: 'InvalidTokenLifetime', uid: null });
  });
});
