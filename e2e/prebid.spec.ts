// The real Prebid.js UID2 ID module (prebid.js@11.36.0 from npm, bundled unchanged) in real Chromium
// against our local operator: client-side token generation, a refresh once refresh_from has passed,
// opt-out, and our snippet picking up the identity Prebid stored. Tokens are checked Node-side the way
// a DSP would (BidstreamClient as site 102) and the raw UID2 against the operator's /v2/identity/map.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import { startOperator, type RunningOperator } from '@uid2-pixels/operator';
import { BidstreamClient } from '@uid2-pixels/uid2/clients';
import { bundlePrebid } from './prebid/bundle.ts';
import { startPageServer, type PageServer } from './prebid/page-server.ts';
import { rawUidFor } from './support/operator.ts';
import { identifyingForms, leaks, recordRequests, type RecordedRequest } from './support/privacy.ts';
import type { RunningStack } from './support/stack.ts';

const EMAIL = 'someone@example.com';
const OPTOUT_EMAIL = 'optout@example.com'; // always opted out (operator-api.md §6)
const REFRESH_OPTOUT_EMAIL = 'refresh-optout@example.com'; // generates, then refreshes to optout
const PUBLISHER = 103; // Daily Planet: shares with type DSP
const DSP = 102; // Bidwell DSP: decrypts 103's bid-stream tokens

/** One operator: default lifetimes (refresh due after 15 min), so nothing refreshes behind a test's back. */
let operator: RunningOperator;
/** Another whose tokens are due for refresh after 2 s (they stay valid for the default hour). */
let quickOperator: RunningOperator;
let site: PageServer;
const tempDirs: string[] = [];
const tempDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `uid2-e2e-prebid-${label}-`));
  tempDirs.push(dir);
  return dir;
};

test.beforeAll(async () => {
  test.setTimeout(120_000); // two Vite builds on a busy 2-core machine
  operator = await startOperator({ port: 0, dataDir: tempDir('op') });
  quickOperator = await startOperator({ port: 0, dataDir: tempDir('op-quick'), lifetimes: { refreshIdentityAfterSeconds: 2 } });
  const out = tempDir('build');
  const prebid = await bundlePrebid(out);
  // The snippet's own build command (the root does not depend on @uid2-pixels/pixel, so no import).
  await promisify(execFile)('pnpm', ['--filter', '@uid2-pixels/pixel', 'build', out], { timeout: 90_000 });
  const iife = join(out, 'uid2-pixel.iife.js');
  site = await startPageServer({ page: fileURLToPath(new URL('./prebid/page.html', import.meta.url)), prebid, snippet: iife });
});

test.afterAll(async () => {
  await site?.close();
  await operator?.close();
  await quickOperator?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const participant = (op: RunningOperator, siteId: number) => {
  const found = op.fixture.participants.find((p) => p.siteId === siteId);
  if (!found) throw new Error(`no participant ${siteId} in the fixture`);
  return found;
};

/**
 * support/operator.ts reads only `api.operator` of a stack (and keys its MAPPER credential on the
 * object); these operators run in this process, so each gets one stand-in object.
 */
const stacks = new Map<RunningOperator, RunningStack>();
const asStack = (op: RunningOperator): RunningStack => {
  let stack = stacks.get(op);
  if (!stack) stacks.set(op, (stack = { api: { operator: op.url } } as unknown as RunningStack));
  return stack;
};

/** What DSP 102 reads from a bid-stream token, with fresh keys from this operator. */
async function decryptAsDsp(op: RunningOperator, token: string) {
  const dsp = participant(op, DSP);
  const client = new BidstreamClient({ baseUrl: op.url, apiKey: dsp.apiKey, secret: dsp.secret });
  await client.refreshKeys();
  return client.decrypt(token, 'localhost');
}

interface Uid2Ids {
  uid2?: { id?: string; optout?: boolean };
}
interface StoredIdentity {
  advertising_token: string;
  refresh_token: string;
  refresh_from: number;
  identity_expires: number;
  refresh_expires: number;
  refresh_response_key: string;
}
interface PrebidStorage {
  originalIdentity?: { identity: string; salt: number };
  originalToken?: StoredIdentity;
  latestToken: StoredIdentity | 'optout';
}

type PageWindow = Window & {
  startUid2(params: Record<string, string>): Promise<Uid2Ids>;
  loadSnippet(options: Record<string, unknown>): Promise<boolean>;
  pbjs: {
    getUserIds(): Uid2Ids;
    getUserIdsAsEids(): Array<{ source: string; uids: Array<{ id: string; atype: number }> }>;
    refreshUserIds(options: { submoduleNames: string[] }): Promise<Uid2Ids>;
  };
  uid2pixel: {
    getToken(): Promise<string | undefined>;
    hasOptedOut(): boolean;
    track(url: string, params?: Record<string, string>): Promise<boolean>;
  };
};

/** Opens the publisher page and runs Prebid's UID2 module with CSTG for `email` against `op`. */
async function prebidWithUid2(page: Page, op: RunningOperator, email: string): Promise<Uid2Ids> {
  await page.goto(`${site.url}/`);
  await expect(page.locator('#status')).toHaveText('ready');
  const publisher = participant(op, PUBLISHER);
  const params = { uid2ApiBase: op.url, serverPublicKey: publisher.publicKey, subscriptionId: publisher.subscriptionId, email };
  return page.evaluate((p) => (window as unknown as PageWindow).startUid2(p), params);
}

const readPrebidStorage = (page: Page) =>
  page.evaluate(() => {
    const raw = localStorage.getItem('__uid2_advertising_token');
    return raw === null ? null : (JSON.parse(raw) as PrebidStorage);
  });

const latestIdentity = (stored: PrebidStorage | null): StoredIdentity => {
  const latest = stored?.latestToken;
  if (!latest || latest === 'optout') throw new Error(`Prebid stored no identity (latestToken: ${String(latest)})`);
  return latest;
};

const operatorCalls = (requests: RecordedRequest[], op: RunningOperator, path: string) =>
  requests.filter((r) => r.method === 'POST' && r.url.startsWith(op.url) && new URL(r.url).pathname === path);

/** Nothing the browser sent (URL, headers, body) carries the email or the raw UID2 in any spelling. */
function expectNoLeaks(requests: RecordedRequest[], emails: string[], rawUids: string[] = []) {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(r.url.toLowerCase()).not.toContain(emails[0]!.toLowerCase());
  }
  expect(leaks(requests, identifyingForms({ emails, rawUids }))).toEqual([]);
}

test('Prebid generates a token client-side that DSP 102 decrypts to the raw UID2 the operator maps', async ({ page, context }) => {
  const requests = recordRequests(context);
  const ids = await prebidWithUid2(page, operator, EMAIL);

  const token = ids.uid2?.id;
  expect(token, 'Prebid resolved no uid2 id').toMatch(/^A4[A-Za-z0-9_-]{100,}$/);
  expect(operatorCalls(requests, operator, '/v2/token/client-generate')).toHaveLength(1);
  expect(operatorCalls(requests, operator, '/v2/token/refresh')).toHaveLength(0);

  const stored = await readPrebidStorage(page);
  const identity = latestIdentity(stored);
  expect(identity.advertising_token).toBe(token);
  expect(stored?.originalIdentity).toEqual({ identity: expect.any(String), salt: expect.any(Number) });

  const eids = await page.evaluate(() => (window as unknown as PageWindow).pbjs.getUserIdsAsEids());
  expect(eids).toEqual([{ source: 'uidapi.com', uids: [{ id: token, atype: 3 }] }]);

  const decrypted = await decryptAsDsp(operator, token!);
  expect(decrypted.status).toBe('Success');
  expect(decrypted.siteId).toBe(PUBLISHER);
  expect(decrypted.isClientSideGenerated).toBe(true);
  const rawUid = await rawUidFor(asStack(operator), EMAIL);
  expect(rawUid).toMatch(/^[A-Za-z0-9+/]{44}$/); // v3: 33 bytes with the scope/type prefix
  expect(decrypted.uid).toBe(rawUid);

  expectNoLeaks(requests, [EMAIL], [rawUid!]);
});

test('once refresh_from has passed, refreshUserIds gets a new token from /v2/token/refresh', async ({ page, context }) => {
  const requests = recordRequests(context);
  const first = await prebidWithUid2(page, quickOperator, EMAIL);
  const firstIdentity = latestIdentity(await readPrebidStorage(page));
  expect(first.uid2?.id).toBe(firstIdentity.advertising_token);
  expect(firstIdentity.refresh_from).toBeLessThan(firstIdentity.identity_expires);

  // Prebid has no refresh timer: it refreshes when its ID modules run again after refresh_from.
  await page.waitForFunction((from) => Date.now() > from, firstIdentity.refresh_from, { timeout: 15_000 });
  const refreshResponse = page.waitForResponse((r) => r.url() === `${quickOperator.url}/v2/token/refresh` && r.request().method() === 'POST');
  await page.evaluate(() => (window as unknown as PageWindow).pbjs.refreshUserIds({ submoduleNames: ['uid2'] }));
  expect((await refreshResponse).status()).toBe(200);

  // The background refresh settles after refreshUserIds resolves; poll Prebid's own view of the id.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as PageWindow).pbjs.getUserIds().uid2?.id), { timeout: 10_000 })
    .not.toBe(firstIdentity.advertising_token);
  const secondToken = await page.evaluate(() => (window as unknown as PageWindow).pbjs.getUserIds().uid2?.id);
  expect(secondToken).toMatch(/^A4[A-Za-z0-9_-]{100,}$/);

  const refreshes = operatorCalls(requests, quickOperator, '/v2/token/refresh');
  expect(refreshes).toHaveLength(1);
  expect(refreshes[0]!.postData).toBe(firstIdentity.refresh_token); // the body is the bare refresh token
  expect(refreshes[0]!.headers['x-uid2-client-version']).toBe('PrebidJS-11.36.0-UID2Module-1.1');
  expect(operatorCalls(requests, quickOperator, '/v2/token/client-generate')).toHaveLength(1);

  const stored = await readPrebidStorage(page);
  expect(latestIdentity(stored).advertising_token).toBe(secondToken);
  expect(stored?.originalToken?.advertising_token).toBe(firstIdentity.advertising_token);
  expect(latestIdentity(stored).refresh_response_key).not.toBe(firstIdentity.refresh_response_key);

  const before = await decryptAsDsp(quickOperator, firstIdentity.advertising_token);
  const after = await decryptAsDsp(quickOperator, secondToken!);
  expect(after.status).toBe('Success');
  expect(after.siteId).toBe(PUBLISHER);
  expect(after.isClientSideGenerated).toBe(true);
  const rawUid = await rawUidFor(asStack(quickOperator), EMAIL);
  expect(before.uid).toBe(rawUid);
  expect(after.uid).toBe(rawUid);

  expectNoLeaks(requests, [EMAIL], [rawUid!]);
});

test('an opted-out email: Prebid resolves {uid2: {optout: true}}, stores the marker and sends no EID', async ({ page, context }) => {
  const requests = recordRequests(context);
  const ids = await prebidWithUid2(page, operator, OPTOUT_EMAIL);
  expect(ids).toEqual({ uid2: { optout: true } });
  expect(operatorCalls(requests, operator, '/v2/token/client-generate')).toHaveLength(1);

  const stored = await readPrebidStorage(page);
  expect(stored?.latestToken).toBe('optout');
  const eids = await page.evaluate(() => (window as unknown as PageWindow).pbjs.getUserIdsAsEids());
  expect(eids.filter((e) => e.source === 'uidapi.com')).toEqual([]);
  expectNoLeaks(requests, [OPTOUT_EMAIL]);
});

test('a user who opts out before the refresh: the refresh answers optout and Prebid drops the token', async ({ page, context }) => {
  const requests = recordRequests(context);
  const first = await prebidWithUid2(page, quickOperator, REFRESH_OPTOUT_EMAIL);
  expect(first.uid2?.id).toMatch(/^A4/);
  const identity = latestIdentity(await readPrebidStorage(page));

  await page.waitForFunction((from) => Date.now() > from, identity.refresh_from, { timeout: 15_000 });
  const refreshResponse = page.waitForResponse((r) => r.url() === `${quickOperator.url}/v2/token/refresh` && r.request().method() === 'POST');
  await page.evaluate(() => (window as unknown as PageWindow).pbjs.refreshUserIds({ submoduleNames: ['uid2'] }));
  expect((await refreshResponse).status()).toBe(200);

  await expect.poll(() => page.evaluate(() => (window as unknown as PageWindow).pbjs.getUserIds().uid2), { timeout: 10_000 }).toEqual({ optout: true });
  expect((await readPrebidStorage(page))?.latestToken).toBe('optout');
  expectNoLeaks(requests, [REFRESH_OPTOUT_EMAIL]);
});

test('our snippet, given no identity, uses the one Prebid stored: getToken() and a tracking pixel carry it', async ({ page, context }) => {
  const requests = recordRequests(context);
  const ids = await prebidWithUid2(page, operator, EMAIL);
  const prebidToken = ids.uid2?.id;
  expect(prebidToken).toMatch(/^A4/);

  const loaded = await page.evaluate((operatorUrl) => (window as unknown as PageWindow).loadSnippet({ operatorUrl }), operator.url);
  expect(loaded).toBe(true);
  const snippetToken = await page.evaluate(() => (window as unknown as PageWindow).uid2pixel.getToken());
  expect(snippetToken).toBe(prebidToken);
  expect(await page.evaluate(() => (window as unknown as PageWindow).uid2pixel.hasOptedOut())).toBe(false);

  const fired = await page.evaluate(
    (url) => (window as unknown as PageWindow).uid2pixel.track(url, { order: 'A-1001' }),
    `${site.url}/conv?campaign=prebid-interop`,
  );
  expect(fired).toBe(true);
  await expect.poll(() => site.pixels.filter((p) => p.includes('campaign=prebid-interop')).length, { timeout: 10_000 }).toBe(1);
  const pixel = new URL(site.pixels.find((p) => p.includes('campaign=prebid-interop'))!, site.url);
  expect(pixel.searchParams.get('order')).toBe('A-1001');
  expect(pixel.searchParams.get('uid2_token')).toBe(prebidToken);

  // The snippet neither generated nor refreshed anything: Prebid's one CSTG call is all the operator saw.
  expect(operatorCalls(requests, operator, '/v2/token/client-generate')).toHaveLength(1);
  expect(operatorCalls(requests, operator, '/v2/token/refresh')).toHaveLength(0);
  const rawUid = await rawUidFor(asStack(operator), EMAIL);
  expect((await decryptAsDsp(operator, pixel.searchParams.get('uid2_token')!)).uid).toBe(rawUid);
  expectNoLeaks(requests, [EMAIL], [rawUid!]);
});
