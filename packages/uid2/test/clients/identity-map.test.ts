// The identity map clients against the real local operator over HTTP (apps/operator, dev fixture:
// 107 Northwind Data holds MAPPER): every case of identity-map.md as the clients see it, salt rotation
// with an injected clock, and the batch helper (splitting, bounded parallelism, retries) through a
// proxy that adds the 429s and 503s a real operator does not produce on demand.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator, type RunningOperator } from '../../../../apps/operator/src/index.ts';
import { InvalidDiiError } from '../../src/dii/errors.ts';
import { Uid2HttpError } from '../../src/clients/errors.ts';
import { mapIdentitiesInBatches } from '../../src/clients/identity-map-batches.ts';
import { IdentityMapClient } from '../../src/clients/identity-map-client.ts';
import { IdentityMapInput, IdentityMapV3Input } from '../../src/clients/identity-map-input.ts';
import { IdentityMapV3Client } from '../../src/clients/identity-map-v3-client.ts';
import { UnmappedIdentityReason } from '../../src/clients/unmapped-identity.ts';

const DAY = 86_400_000;
const MAPPER = 107;
let operator: RunningOperator;
let dataDir: string;
const clock = { t: Date.UTC(2026, 2, 1, 9, 30, 0) };
const now = () => clock.t;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'uid2-identity-map-'));
  operator = await startOperator({ dataDir, port: 0, now, saltRotation: { intervalMs: 0 } });
});
afterAll(async () => {
  await operator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function credentials(siteId: number, baseUrl = operator.url) {
  const p = operator.fixture.participants.find((x) => x.siteId === siteId)!;
  return { baseUrl, apiKey: p.apiKey, secret: p.secret, now };
}
const v3 = () => new IdentityMapV3Client(credentials(MAPPER));
const b64hash = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('input classes (hashed here, as the SDKs do)', () => {
  it('hash emails and phones locally and send only hashes, both arrays always present', () => {
    const input = IdentityMapV3Input.fromEmails(['Jane.Doe+x@GMail.com']).withPhone('+12345678901').withHashedEmail('abc');
    expect(input.toRequestBody()).toEqual({ email_hash: [b64hash('janedoe@gmail.com'), 'abc'], phone_hash: [b64hash('+12345678901')] });
    expect(new IdentityMapV3Input().toRequestBody()).toEqual({ email_hash: [], phone_hash: [] });
    expect(IdentityMapInput.fromPhones(['+12345678901']).toRequestBody()).toEqual({ phone_hash: [b64hash('+12345678901')] });
  });

  it('throw InvalidDiiError for an invalid email or phone, without the value in the message', () => {
    expect(() => IdentityMapV3Input.fromEmails(['no-at-sign'])).toThrow(InvalidDiiError);
    expect(() => IdentityMapV3Input.fromPhones(['12345678901'])).toThrow(InvalidDiiError);
    expect(() => IdentityMapInput.fromEmails(['a@b@c'])).toThrow(InvalidDiiError);
    expect(() => IdentityMapInput.fromPhones(['+1 234 567 8901'])).toThrow(/E\.164/);
    try {
      IdentityMapV3Input.fromEmails(['secret-person']);
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-person');
    }
  });
});

describe('IdentityMapV3Client', () => {
  it('maps mixed emails, phones and hashes; opt-outs and invalid hashes come back unmapped with their reason', async () => {
    const input = IdentityMapV3Input.fromEmails(['jane@example.com', 'Jane@Example.com', 'optout@example.com'])
      .withPhones(['+12345678901', '+00000000000'])
      .withHashedEmail(b64hash('jane@example.com'))
      .withHashedPhone('not-a-hash');
    const result = await v3().generateIdentityMap(input);
    const jane = result.mappedIdentities.get('jane@example.com')!;
    expect(jane.currentRawUid).toMatch(/^[A-Za-z0-9+/]{44}$/);
    expect(jane.previousRawUid).toBeNull();
    expect(jane.refreshFrom.getTime()).toBeGreaterThan(now());
    expect(result.mappedIdentities.get('Jane@Example.com')).toEqual(jane); // same person, same answer
    expect(result.mappedIdentities.get(b64hash('jane@example.com'))).toEqual(jane);
    expect(result.mappedIdentities.get('+12345678901')!.currentRawUid).not.toBe(jane.currentRawUid);
    expect(result.unmappedIdentities).toEqual(
      new Map([
        ['optout@example.com', { reason: UnmappedIdentityReason.OPTOUT, rawReason: 'optout' }],
        ['+00000000000', { reason: UnmappedIdentityReason.OPTOUT, rawReason: 'optout' }],
        ['not-a-hash', { reason: UnmappedIdentityReason.INVALID_IDENTIFIER, rawReason: 'invalid identifier' }],
      ]),
    );
    expect(result.mappedIdentities.size).toBe(4);
  });

  it('maps an empty input to nothing', async () => {
    const result = await v3().generateIdentityMap(new IdentityMapV3Input());
    expect(result.mappedIdentities.size).toBe(0);
    expect(result.unmappedIdentities.size).toBe(0);
  });

  it('sees rotated buckets: p is the old raw UID2, then null after 90 days', async () => {
    const email = 'rotation-subject@example.com';
    const before = (await v3().generateIdentityMap(IdentityMapV3Input.fromEmails([email]))).mappedIdentities.get(email)!;
    const rotated = operator.rotateSalts({ fraction: 1 });
    const after = (await v3().generateIdentityMap(IdentityMapV3Input.fromEmails([email]))).mappedIdentities.get(email)!;
    expect(after.previousRawUid).toBe(before.currentRawUid);
    expect(after.currentRawUid).not.toBe(before.currentRawUid);
    expect(after.refreshFrom.getTime()).toBe(rotated.refreshFrom);
    const saved = clock.t;
    clock.t += 90 * DAY;
    try {
      const later = (await v3().generateIdentityMap(IdentityMapV3Input.fromEmails([email]))).mappedIdentities.get(email)!;
      expect(later).toMatchObject({ currentRawUid: after.currentRawUid, previousRawUid: null });
    } finally {
      clock.t = saved;
    }
  });

  it('reports operator errors with their status and message, never as a result', async () => {
    const publisher = new IdentityMapV3Client(credentials(103)); // no MAPPER role
    const error = await publisher.generateIdentityMap(IdentityMapV3Input.fromEmails(['a@example.com'])).catch((e) => e);
    expect(error).toBeInstanceOf(Uid2HttpError);
    expect(error).toMatchObject({ httpStatus: 401, operatorStatus: 'unauthorized', operatorMessage: null });
    const wrongSecret = new IdentityMapV3Client({ ...credentials(MAPPER), secret: credentials(101).secret });
    const envelope = await wrongSecret.generateIdentityMap(IdentityMapV3Input.fromEmails(['a@example.com'])).catch((e) => e);
    expect(envelope).toMatchObject({ httpStatus: 400, operatorStatus: 'client_error' });
    expect(envelope.operatorMessage).toMatch(/^Invalid body: Check encryption key \(ClientSecret\)\./);
  });
});

describe('IdentityMapClient (v2) and buckets', () => {
  it('maps one type, keyed by the caller’s values, with bucket ids', async () => {
    const client = new IdentityMapClient(credentials(MAPPER));
    const result = await client.generateIdentityMap(IdentityMapInput.fromEmails(['v2@example.com', 'V2@Example.com', 'optout@example.com']));
    const mapped = result.mappedIdentities.get('v2@example.com')!;
    expect(mapped.bucketId).toMatch(/^b/);
    expect(result.mappedIdentities.get('V2@Example.com')).toEqual(mapped);
    expect(result.unmappedIdentities.get('optout@example.com')).toEqual({ reason: 'optout', rawReason: 'optout' });
    const hashed = await client.generateIdentityMap(IdentityMapInput.fromHashedPhones(['bad-hash']));
    expect(hashed.unmappedIdentities.get('bad-hash')).toEqual({ reason: 'invalid identifier', rawReason: 'invalid identifier' });
    const empty = await client.generateIdentityMap(IdentityMapInput.fromEmails([]));
    expect(empty.mappedIdentities.size + empty.unmappedIdentities.size).toBe(0);
    // v2 and v3 agree on the raw UID2
    const viaV3 = (await v3().generateIdentityMap(IdentityMapV3Input.fromEmails(['v2@example.com']))).mappedIdentities.get('v2@example.com')!;
    expect(viaV3.currentRawUid).toBe(mapped.rawUid);
  });

  it('lists the buckets rotated since a time; the bucket of a mapped identity appears after its rotation', async () => {
    const client = new IdentityMapClient(credentials(MAPPER));
    const since = new Date(now());
    expect(await client.getIdentityBuckets(new Date(now() + 1000))).toEqual([]);
    const mapped = (await client.generateIdentityMap(IdentityMapInput.fromEmails(['bucket@example.com']))).mappedIdentities.get('bucket@example.com')!;
    operator.rotateSalts({ bucketIds: [mapped.bucketId] });
    const buckets = await client.getIdentityBuckets(since);
    expect(buckets).toContainEqual({ bucketId: mapped.bucketId, lastUpdated: new Date(now()).toISOString().slice(0, 23) });
  });
});

describe('mapIdentitiesInBatches', () => {
  /** Forwards to the operator; answers 429 / 503 to the requests listed in `faults` (1-based). */
  async function faultyProxy(faults: Map<number, number>): Promise<{ url: string; requests: number; maxInFlight: number; close(): Promise<void> }> {
    const state = { requests: 0, inFlight: 0, maxInFlight: 0 };
    const server: Server = createServer((req, res) => {
      const n = ++state.requests;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const fault = faults.get(n);
        if (fault) {
          res.writeHead(fault).end();
          return;
        }
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        const upstream = await fetch(operator.url + req.url, { method: 'POST', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) });
        state.inFlight--;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      get requests() {
        return state.requests;
      },
      get maxInFlight() {
        return state.maxInFlight;
      },
      close: () => new Promise((r) => server.close(() => r())),
    };
  }

  it('splits 12,001 identifiers into requests of 5,000, at most 2 at once, retrying 429 and 503', async () => {
    const proxy = await faultyProxy(new Map([[1, 429], [3, 503]]));
    try {
      const emails = Array.from({ length: 12_001 }, (_, i) => `batch${i}@example.com`);
      const progress: number[] = [];
      const client = new IdentityMapV3Client(credentials(MAPPER, proxy.url));
      const result = await mapIdentitiesInBatches(client, IdentityMapV3Input.fromEmails(emails), {
        concurrency: 2,
        baseDelayMs: 1,
        onProgress: (done) => progress.push(done),
      });
      expect(result.mappedIdentities.size).toBe(12_001);
      expect(proxy.requests).toBe(5); // 3 batches + 2 retries
      expect(proxy.maxInFlight).toBeLessThanOrEqual(2);
      expect(progress.sort((a, b) => a - b).at(-1)).toBe(12_001);
      const direct = await v3().generateIdentityMap(IdentityMapV3Input.fromEmails(['batch12000@example.com']));
      expect(result.mappedIdentities.get('batch12000@example.com')).toEqual(direct.mappedIdentities.get('batch12000@example.com'));
    } finally {
      await proxy.close();
    }
  });

  it('gives up after its retries, and does not retry a 4xx', async () => {
    const always = await faultyProxy(new Map(Array.from({ length: 10 }, (_, i) => [i + 1, 503] as [number, number])));
    try {
      const client = new IdentityMapV3Client(credentials(MAPPER, always.url));
      await expect(mapIdentitiesInBatches(client, IdentityMapV3Input.fromEmails(['a@example.com']), { retries: 2, baseDelayMs: 1 })).rejects.toMatchObject({ httpStatus: 503 });
      expect(always.requests).toBe(3);
    } finally {
      await always.close();
    }
    const notMapper = new IdentityMapV3Client(credentials(103));
    let calls = 0;
    const counting = { generateIdentityMap: (input: IdentityMapV3Input) => (calls++, notMapper.generateIdentityMap(input)) };
    await expect(mapIdentitiesInBatches(counting, IdentityMapV3Input.fromEmails(['a@example.com']), { baseDelayMs: 1 })).rejects.toMatchObject({ httpStatus: 401 });
    expect(calls).toBe(1);
  });

  it('works with the v2 client too', async () => {
    const emails = Array.from({ length: 7 }, (_, i) => `v2batch${i}@example.com`);
    const result = await mapIdentitiesInBatches(new IdentityMapClient(credentials(MAPPER)), IdentityMapInput.fromEmails(emails), { batchSize: 3 });
    expect([...result.mappedIdentities.keys()]).toEqual(emails);
  });
});
