// One token-shape check (src/token-shape.ts) for every route: a token with a character that is not
// base64 / base64url, or padded with spaces, is refused the same way by the pixel, the bulk API's JSON
// and NDJSON bodies and a dropped file (CSV or NDJSON), against the real operator and file store; the
// untouched token beside it is accepted by each, so the refusal is the shape check and nothing else.
// Also: the bulk API answers 503 only for a batch the intake could not decide now (BatchRetryableError);
// any other failure is a 500 from the error handler, without details.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { isTokenShaped } from '../src/token-shape.ts';
import { tokenLines } from '../src/drops/parse.ts';
import { compactTokens } from '../src/share/compact-tokens.ts';
import { createBulkApi } from '../src/share/api.ts';
import { BatchRetryableError, type IngestBatch } from '../src/share/intake.ts';
import { SenderLimits } from '../src/share/limits.ts';
import { CollectorMetrics } from '../src/metrics.ts';
import type { IdempotencyStore } from '../src/share/idempotency.ts';
import type { SenderAcl } from '../src/authorise.ts';
import type { Logger } from '../src/log.ts';
import { hashSenderKey, issueSenderKey, SenderKeys } from '../src/share/sender-keys.ts';
import { captureLogs, type CapturedLogs } from './helpers/logs.ts';
import { csvFile, dropFile, ndjsonFile, readReport, waitFor } from './helpers/drops.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, sender, SITES, startTestOperator, tempDir, type TestOperator, untilSharingReady } from './helpers/stack.ts';
import { exportedMembers, pixelUrl, scrapedTotal } from './helpers/http.ts';

describe('isTokenShaped', () => {
  it('accepts 1..maxBytes base64 / base64url characters, exactly as given', () => {
    expect(isTokenShaped('AgAA+/=_-z9', 1024)).toBe(true);
    expect(isTokenShaped('A'.repeat(10), 10)).toBe(true);
    expect(isTokenShaped('A'.repeat(11), 10)).toBe(false);
    for (const bad of ['', ' A', 'A ', 'A.B', 'A!', 'A\nB', 'é', 'A"B', 'A,B', 'A%2B']) expect(isTokenShaped(bad, 1024)).toBe(false);
    for (const notString of [null, undefined, 5, ['A'], { token: 'A' }]) expect(isTokenShaped(notString, 1024)).toBe(false);
  });

  it('token files apply it with the configured limit (default 1024); a CSV field is trimmed, a JSON string is not', async () => {
    const all = async (text: string, format: 'csv' | 'ndjson', tokenMaxBytes?: number) => {
      const out: Array<string | null> = [];
      for await (const b of tokenLines([Buffer.from(text)], format, tokenMaxBytes === undefined ? {} : { tokenMaxBytes })) out.push(...b.map((l) => l.token));
      return out;
    };
    expect(await all(csvFile(['A'.repeat(1024), 'A'.repeat(1025), ' AB ', 'A.B']), 'csv')).toEqual(['A'.repeat(1024), null, 'AB', null]);
    expect(await all(csvFile(['A'.repeat(20), 'A'.repeat(21)]), 'csv', 20)).toEqual(['A'.repeat(20), null]);
    expect(await all(ndjsonFile(['AB', ' AB ', 'A.B', 'A'.repeat(21)]), 'ndjson', 20)).toEqual(['AB', null, null, null]);
  });

  it('the compact JSON fast path still steps aside for any non-token character, so JSON.parse and the check decide', () => {
    expect(compactTokens(Buffer.from('{"tokens":["A.B"]}'), 10)).toBeNull();
    expect(compactTokens(Buffer.from('{"tokens":[" AB"]}'), 10)).toBeNull();
    expect(compactTokens(Buffer.from('{"tokens":["AB",""]}'), 10)).toEqual(['AB', '']);
  });
});

describe('the same malformed token is refused the same way by every route', () => {
  let op: TestOperator;
  let collector: RunningCollector;
  let logs: CapturedLogs;
  let dataDir: string;
  let drops: string;
  let acme: SharingClient;
  const acmeKey = issueSenderKey(SITES.acme);

  beforeAll(async () => {
    op = await startTestOperator();
    dataDir = tempDir();
    drops = join(dataDir, 'drops');
    logs = captureLogs('info');
    const base = collectorConfig(op, dataDir);
    const config = {
      ...base,
      senders: base.senders.map((s) => (s.siteId === SITES.acme ? { ...s, keyHashes: [acmeKey.hash] } : s)),
      drops: { ...base.drops, source: 'dir' as const, pollMs: 100 },
    };
    collector = await startCollector({ config, logger: logs.logger });
    acme = await sender(op, SITES.acme);
    await untilSharingReady(collector);
  }, 30_000);

  afterAll(async () => {
    await collector?.close();
    await op?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Tokens the decrypter was given, whatever became of them: a refused shape never reaches it. */
  const decrypts = () => scrapedTotal(collector.url, ADMIN_TOKEN, 'collector_decrypt_total', {});

  const exported = async (segment: string) => (await exportedMembers(collector.url, ADMIN_TOKEN, segment)).map((m) => m.uid).sort();

  /** A real token of acme's with one bad character put in the middle (Node's base64 decoder would skip it). */
  const spoilt = (token: string, ch: string) => token.slice(0, 40) + ch + token.slice(40);

  const cases: Array<[string, string, (t: string) => string]> = [
    ['a "." inside', 'dot', (t) => spoilt(t, '.')],
    ['a "!" inside', 'bang', (t) => spoilt(t, '!')],
    ['a "*" inside', 'star', (t) => spoilt(t, '*')],
  ];

  async function post(segment: string, type: string, body: string) {
    const r = await fetch(`${collector.url}/share/v1/segments/${segment}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acmeKey.key}`, 'content-type': type },
      body,
    });
    return { status: r.status, json: (await r.json()) as any };
  }

  it.each(cases)('%s: pixel, JSON body, NDJSON body, CSV drop and NDJSON drop all refuse it and accept the good one', async (_name, tag, spoil) => {
    const good = () => {
      const uid = makeRawUid();
      return { uid, token: encryptFor(acme, uid) };
    };
    const decryptsBefore = await decrypts();

    // pixel: the same GIF either way, but only the good token joins the segment
    const pix = `acme-vip-px-${tag}`;
    const [pg, pb] = [good(), good()];
    expect((await fetch(pixelUrl(collector.url, 'conversion', { uid2_token: spoil(pb.token), segment: pix }))).status).toBe(200);
    expect((await fetch(pixelUrl(collector.url, 'conversion', { uid2_token: pg.token, segment: pix }))).status).toBe(200);
    await waitFor(async () => (await exported(pix)).length === 1, `pixel write ${pix}`);
    expect(await exported(pix)).toEqual([pg.uid]);

    // bulk API, JSON and NDJSON: item 0 rejected as invalid, item 1 written
    for (const [kind, type, body] of [
      ['json', 'application/json', (a: string, b: string) => JSON.stringify({ tokens: [a, b] })],
      ['nd', 'application/x-ndjson', (a: string, b: string) => ndjsonFile([a, b])],
    ] as const) {
      const seg = `acme-vip-${kind}-${tag}`;
      const [g, b] = [good(), good()];
      const r = await post(seg, type, body(spoil(b.token), g.token));
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ received: 2, written: 1, held: 0, rejected: [{ index: 0, reason: 'invalid' }] });
      expect(await exported(seg)).toEqual([g.uid]);
    }

    // dropped files, CSV and NDJSON: line 2 (the first data line) rejected as invalid, line 3 written
    for (const [kind, ext, file] of [
      ['csv', 'csv', (a: string, b: string) => csvFile([a, b])],
      ['ndf', 'ndjson', (a: string, b: string) => ndjsonFile([a, b])],
    ] as const) {
      const seg = `acme-vip-${kind}-${tag}`;
      const [g, b] = [good(), good()];
      const key = `${SITES.acme}/${seg}/day-1.${ext}`;
      dropFile(drops, key, file(spoil(b.token), g.token));
      const rep = await waitFor(() => readReport(drops, `${key}.report.json`), `report ${key}`);
      const badLine = ext === 'csv' ? 2 : 1;
      expect(rep).toMatchObject({ status: 'done', lines: 2, written: 1, rejected: { invalid: 1 }, rejectedLines: [{ line: badLine, reason: 'invalid' }] });
      expect(await exported(seg)).toEqual([g.uid]);
    }
    // the five good tokens were decrypted; none of the five refused ones was handed to the decrypter
    expect((await decrypts()) - decryptsBefore).toBe(5);
  }, 60_000);

  it('a token padded with spaces: refused by the JSON and NDJSON bodies and a dropped NDJSON file alike (a CSV field is trimmed)', async () => {
    const mk = () => {
      const uid = makeRawUid();
      return { uid, token: encryptFor(acme, uid) };
    };
    const a = mk();
    const b = mk();
    const padded = ` ${a.token} `;
    expect((await post('acme-vip-pad-json', 'application/json', JSON.stringify({ tokens: [padded] }))).json.rejected).toEqual([{ index: 0, reason: 'invalid' }]);
    expect((await post('acme-vip-pad-nd', 'application/x-ndjson', ndjsonFile([padded]))).json.rejected).toEqual([{ index: 0, reason: 'invalid' }]);
    const key = `${SITES.acme}/acme-vip-pad-ndf/day-1.ndjson`;
    dropFile(drops, key, ndjsonFile([` ${b.token} `]));
    const rep = await waitFor(() => readReport(drops, `${key}.report.json`), `report ${key}`);
    expect(rep).toMatchObject({ status: 'done', lines: 1, written: 0, rejected: { invalid: 1 } });
    // a CSV field is trimmed (the format allows `row, token`): the same token written there
    const c = mk();
    const csvKey = `${SITES.acme}/acme-vip-pad-csv/day-1.csv`;
    dropFile(drops, csvKey, `row,token\n1, ${c.token} \n`);
    const csvRep = await waitFor(() => readReport(drops, `${csvKey}.report.json`), `report ${csvKey}`);
    expect(csvRep).toMatchObject({ status: 'done', lines: 1, written: 1 });
    expect(await exported('acme-vip-pad-csv')).toEqual([c.uid]);
  }, 30_000);

  it('no token appears in a log line', () => {
    const text = logs.lines.join('');
    expect(text).not.toMatch(/A[A-Za-z0-9+/]{100,}/);
  });
});

describe('bulk API failures: 503 only for a batch to retry, anything else is a 500 without details', () => {
  const key = issueSenderKey(7);
  const idem: IdempotencyStore = {
    begin: async () => ({ state: 'new' }) as never,
    finish: async () => {},
    abandon: async () => {},
    close: async () => {},
  };
  const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

  async function run(ingest: IngestBatch) {
    const storeErrors: Error[] = [];
    const handled: Error[] = [];
    const app = express();
    app.use(
      createBulkApi({
        ingest,
        keys: new SenderKeys([{ siteId: 7, keyHashes: [hashSenderKey(key.key)] }]),
        acl: { allows: () => true } as unknown as SenderAcl,
        limits: new SenderLimits({ tokensPerSecond: 1000, burstTokens: 1000, maxConcurrent: 4 }),
        idempotency: idem,
        metrics: new CollectorMetrics({}),
        log: silent,
        maxTokens: 10,
        maxBodyBytes: 10_000,
        tokenMaxBytes: 1024,
        onStoreError: (e) => storeErrors.push(e),
      }),
    );
    // as app.ts: logged, a generic answer
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      handled.push(err);
      res.status(500).json({ error: 'internal_error' });
    });
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await fetch(`http://127.0.0.1:${port}/share/v1/segments/s-one/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tokens: ['AAAA'] }),
      });
      return { status: r.status, retryAfter: r.headers.get('retry-after'), text: await r.text(), storeErrors, handled };
    } finally {
      await new Promise((r) => server.close(r));
    }
  }

  it('BatchRetryableError: 503 + Retry-After, reported as a store error', async () => {
    const r = await run(async () => {
      throw new BatchRetryableError('store_unavailable');
    });
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe('1');
    expect(r.storeErrors).toHaveLength(1);
    expect(r.handled).toHaveLength(0);
  });

  it('any other error (a bug): the error handler answers 500, no internals, not a store error', async () => {
    const r = await run(async () => {
      throw new TypeError('secret internal detail');
    });
    expect(r.status).toBe(500);
    expect(JSON.parse(r.text)).toEqual({ error: 'internal_error' });
    expect(r.text).not.toContain('secret');
    expect(r.storeErrors).toHaveLength(0);
    expect(r.handled.map((e) => e.message)).toEqual(['secret internal detail']);
  });
});
