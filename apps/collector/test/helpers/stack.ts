// Real parts for collector tests: the local operator (apps/operator) on port 0 and a temp data dir,
// sending participants with their real sharing keys, and collector configs pointing at them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixture, startOperator, type OperatorFixture, type RunningOperator, type StartOperatorOptions } from '@uid2-pixels/operator';
import { SharingClient, postEnveloped, type OperatorCredentials } from '@uid2-pixels/uid2';
import { parseConfig, type CollectorConfig, type ConfigInput } from '../../src/config.ts';

export const SITES = { acme: 101, bidwell: 102, planet: 103, lumen: 104, rival: 105, mapper: 106 } as const;
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

/** The dev fixture plus a test-only participant that may map DII and record opt-outs. */
export function testFixture(): OperatorFixture {
  const dev = loadFixture();
  const rival = dev.participants.find((p) => p.siteId === SITES.rival)!;
  return {
    ...dev,
    participants: [
      ...dev.participants,
      {
        ...rival,
        siteId: SITES.mapper,
        name: 'Test Mapper',
        type: 'ADVERTISER',
        roles: ['MAPPER', 'OPTOUT'],
        apiKey: `UID2-C-L-${SITES.mapper}-TstMpr.${'m'.repeat(38)}`,
        secret: randomBytes(32).toString('base64'),
        subscriptionId: 'TestMapper',
        domains: ['mapper.uid2.test'],
      },
    ],
  };
}

export interface TestOperator {
  op: RunningOperator;
  url: string;
  port: number;
  dataDir: string;
  fixture: OperatorFixture;
  credentials(siteId: number): OperatorCredentials;
  /** Stops it (the data dir stays, so restart() brings back the same keys). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops it and removes its data dir. */
  close(): Promise<void>;
}

export async function startTestOperator(options: Partial<StartOperatorOptions> = {}): Promise<TestOperator> {
  const dataDir = mkdtempSync(join(tmpdir(), 'collector-op-'));
  const fixture = testFixture();
  let op = await startOperator({ dataDir, port: 0, fixture, ...options });
  const port = op.port;
  let running = true;
  const handle: TestOperator = {
    get op() {
      return op;
    },
    url: op.url,
    port,
    dataDir,
    fixture,
    credentials(siteId) {
      const p = fixture.participants.find((x) => x.siteId === siteId);
      if (!p) throw new Error(`no participant ${siteId}`);
      return { baseUrl: handle.url, apiKey: p.apiKey, secret: p.secret };
    },
    async stop() {
      if (running) await op.close();
      running = false;
    },
    async restart() {
      if (running) return;
      op = await startOperator({ dataDir, port, fixture, ...options });
      running = true;
    },
    async close() {
      await handle.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** A started SharingClient for a sending participant (its own keys from /v2/key/sharing). */
export async function sender(op: TestOperator, siteId: number): Promise<SharingClient> {
  const client = new SharingClient({ ...op.credentials(siteId), refreshIntervalMs: 3_600_000 });
  await client.start();
  client.stop(); // keys stay; no timers left behind
  return client;
}

/** A fresh v3 raw UID2 (33 bytes: scope/type prefix + 32 random bytes). */
export function makeRawUid(type: 'Email' | 'Phone' = 'Email'): string {
  return Buffer.concat([Buffer.from([type === 'Phone' ? 0x04 : 0x00]), randomBytes(32)]).toString('base64');
}

export function encryptFor(client: SharingClient, rawUid: string): string {
  const r = client.encrypt(rawUid);
  if (r.status !== 'Success' || !r.token) throw new Error(`encrypt failed: ${r.status}`);
  return r.token;
}

/** Maps an email to its raw UID2 (as the operator derives it), then opts that user out. */
export async function optOutUser(op: TestOperator, email: string): Promise<string> {
  const creds = op.credentials(SITES.mapper);
  const map = await postEnveloped(creds, '/v2/identity/map', { email: [email] });
  const mapped = (map.body as { mapped?: Array<{ advertising_id: string }> }).mapped;
  const rawUid = mapped?.[0]?.advertising_id;
  if (!rawUid) throw new Error(`identity map did not map ${email}`);
  const logout = await postEnveloped(creds, '/v2/token/logout', { email });
  if (logout.status !== 'success') throw new Error(`logout failed: ${logout.status}`);
  return rawUid;
}

/** The collector config the tests use: site 104's credentials, Acme and Bidwell as senders. */
export function collectorConfig(op: TestOperator, dataDir: string, overrides: Partial<ConfigInput> = {}): CollectorConfig {
  const lumen = op.fixture.participants.find((p) => p.siteId === SITES.lumen)!;
  return parseConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    operator: { url: op.url, apiKey: lumen.apiKey, secret: lumen.secret, keyRetryMs: 200 },
    senders: [
      { siteId: SITES.acme, name: 'Acme Shop', segments: ['acme-converters', 'acme-vip-*'], defaults: { conversion: 'acme-converters' } },
      { siteId: SITES.bidwell, name: 'Bidwell DSP', segments: ['bidwell-impressions'], defaults: { impression: 'bidwell-impressions' } },
    ],
    adminToken: ADMIN_TOKEN,
    // As in the demo's dev config; test/trust.test.ts checks the protected default.
    protectStatus: false,
    optout: { cacheTtlSeconds: 3600, batchWindowMs: 2, maxBatch: 1000, heldRetryMs: 500, timeoutMs: 2000, cacheMaxEntries: 100_000 },
    // Quiet test output: children get --log-level info from spawnCollector; in-process tests pass a capturing logger.
    logLevel: 'silent',
    ...overrides,
  });
}

export function tempDir(prefix = 'collector-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Acme grants or revokes sharing with the collector (site 104) through the operator's admin API, as the portal does. */
export async function acmeSharesWithCollector(op: TestOperator, action: 'grant' | 'revoke'): Promise<void> {
  const r = await fetch(`${op.url}/admin/sharing/${SITES.acme}/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${op.fixture.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sites: [SITES.lumen] }),
  });
  if (r.status !== 200) throw new Error(`${action}: HTTP ${r.status}`);
  const sites = ((await r.json()) as { sites: number[] }).sites;
  if (sites.includes(SITES.lumen) !== (action === 'grant')) throw new Error(`${action} did not take: ${JSON.stringify(sites)}`);
}

/** Waits until a started collector holds its sharing keys (5 s at most), else fails the test's setup. */
export async function untilSharingReady(collector: { sharing?: { isReady: boolean } | null }): Promise<void> {
  for (let i = 0; i < 100 && !collector.sharing?.isReady; i++) await new Promise((r) => setTimeout(r, 50));
  if (!collector.sharing?.isReady) throw new Error('the collector did not get its sharing keys within 5 s');
}
