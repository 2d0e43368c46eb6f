// Google Secure Signals (dist/uid2-secure-signals.iife.js and euid-secure-signals.iife.js, separate from
// the snippet, as the official SDK's are). Google's GPT cannot run offline, so `googletag` is a stub that
// does what GPT does with a provider: it takes `{id, collectorFunction}` from
// `googletag.secureSignalProviders` and calls the collector. The snippet and the operator are real.
import { afterEach, beforeEach, describe, expect, inject, test } from 'vitest';
import { start } from './support/page.ts';

interface Provider {
  id: string;
  collectorFunction: () => Promise<string>;
}
const w = window as unknown as Record<string, any>;

const run = (code: string) => {
  const script = document.createElement('script');
  script.textContent = code;
  document.head.append(script); // an inline classic script runs at once, like a loaded <script src>
};
const loadSnippet = () => run(inject('snippet').code);
/** GPT after it loaded: `secureSignalProviders` is an object whose push registers a provider. */
function loadedGpt(): Provider[] {
  const providers: Provider[] = [];
  w.googletag = { cmd: [], secureSignalProviders: { push: (p: Provider) => providers.push(p) } };
  return providers;
}

beforeEach(() => {
  start();
  localStorage.removeItem('UID2-sdk-identity_config'); // a first visit: no self-bootstrap
  for (const name of ['uid2pixel', '__uid2', '__euid', 'googletag', 'getUid2AdvertisingToken']) delete w[name];
});
afterEach(() => w.__uid2?.disconnect?.());

test("UID2: registered as `uidapi.com`; the collector gives the snippet's token", async () => {
  const providers = loadedGpt();
  w.uid2pixel = [['init', { baseUrl: inject('operatorUrl'), ...inject('advertiser'), refreshRetryPeriod: 864e5 }], ['setEmail', 'signals@example.com']];
  loadSnippet();
  run(inject('secureSignals').uid2);
  expect(providers.map((p) => p.id)).toEqual(['uidapi.com']);
  const token = await providers[0]!.collectorFunction();
  expect(token).toMatch(/^A4/);
  expect(token).toBe(w.__uid2.getAdvertisingToken());
});

test('loaded before GPT and before the snippet: the providers array waits for GPT, the collector for the snippet', async () => {
  run(inject('secureSignals').uid2);
  expect(w.googletag.secureSignalProviders).toHaveLength(1); // GPT reads this array when it loads
  const [provider] = w.googletag.secureSignalProviders as Provider[];
  expect(provider!.id).toBe('uidapi.com');
  const collected = provider!.collectorFunction(); // GPT may call it before the snippet is there: it retries
  w.uid2pixel = [['init', { baseUrl: inject('operatorUrl'), ...inject('advertiser'), refreshRetryPeriod: 864e5 }], ['setEmail', 'signals.late@example.com']];
  loadSnippet();
  expect(await collected).toBe(await w.__uid2.getToken());
});

test("the page's own getUid2AdvertisingToken, when defined, is what the collector asks (the official contract)", async () => {
  const providers = loadedGpt();
  w.getUid2AdvertisingToken = async () => 'page-token';
  run(inject('secureSignals').uid2);
  expect(await providers[0]!.collectorFunction()).toBe('page-token');
});

test('no token: after three attempts the collector rejects, so GPT sends no signal', async () => {
  const providers = loadedGpt();
  let calls = 0;
  w.getUid2AdvertisingToken = async () => (calls++, undefined);
  run(inject('secureSignals').uid2);
  await expect(providers[0]!.collectorFunction()).rejects.toThrow('no token');
  expect(calls).toBe(3);
});

describe('EUID', () => {
  test("registered as `euid.eu`; the collector gives the `__euid` client's token", async () => {
    const providers = loadedGpt();
    loadSnippet();
    w.__euid.init({ baseUrl: inject('euidOperatorUrl'), ...inject('euidAdvertiser'), consent: { tcf: false }, refreshRetryPeriod: 864e5 });
    const token = await w.__euid.setEmail('signals.euid@example.com');
    expect(token).toMatch(/^E/);
    run(inject('secureSignals').euid);
    expect(providers.map((p) => p.id)).toEqual(['euid.eu']);
    expect(await providers[0]!.collectorFunction()).toBe(token);
    w.__euid.disconnect();
  });
});

test('each script is small (gzip -9), and the README shows its size', () => {
  const { uid2GzipBytes, euidGzipBytes } = inject('secureSignals');
  const readme = decodeURIComponent(inject('readme'));
  for (const [label, bytes] of [['uid2-secure-signals', uid2GzipBytes], ['euid-secure-signals', euidGzipBytes]] as const) {
    expect(bytes).toBeGreaterThan(100);
    expect(bytes).toBeLessThanOrEqual(400);
    const row = readme.split('\n').find((l) => l.includes(`${label}.iife.js`) && l.startsWith('|'));
    expect(Number(row?.match(/\|\s*\**([\d,]+)\**\s*\|\s*$/)?.[1]?.replace(/,/g, '')), label).toBeGreaterThanOrEqual(bytes);
  }
});
