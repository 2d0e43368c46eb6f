// Browser-side helpers shared by the pixel tests.
import { expect, inject, vi } from 'vitest';
import { clear, createSdk, init, type Sdk } from '../../src/index.ts';
/** Where the identity is stored: the official SDK's own key (UID2). */
export const KEY = 'UID2-sdk-identity';
import type { Identity, Options } from '../../src/types.ts';
import type { Hit } from './sink.ts';
import './provided.ts';

// Every request must stay visible to the privacy checks.
performance.setResourceTimingBufferSize(100_000);

export const sinkUrl = () => inject('sinkUrl');

/** A path on the sink no other test uses, so its hits are this test's alone. */
export const uniquePath = (name: string) => `/${name}/${crypto.randomUUID()}`;

export async function hits(): Promise<Hit[]> {
  return (await fetch(`${sinkUrl()}/__hits`)).json();
}

/** Waits until the sink has seen `count` requests on `path` and returns them. */
export async function hitsOn(path: string, count = 1): Promise<Hit[]> {
  await expect.poll(async () => (await hits()).filter((h) => h.url.startsWith(path)).length, { timeout: 5000 }).toBe(count);
  return (await hits()).filter((h) => h.url.startsWith(path));
}

/** Operator-side checks made by the Node process (see global-setup.ts). */
export async function check<T>(name: 'validate' | 'rawUid' | 'generate', body: object): Promise<T> {
  const res = await fetch(`${sinkUrl()}/__check/${name}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`check ${name} failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The options every test starts from: the real operator, site 101's CSTG credentials, defaults otherwise. */
export const baseOptions = (overrides: Partial<Options> = {}): Options => ({
  operatorUrl: inject('operatorUrl'),
  ...inject('advertiser'),
  param: undefined,
  wait: undefined,
  requireToken: undefined,
  beacon: undefined,
  useCookie: undefined,
  cookieDomain: undefined,
  cookiePath: undefined,
  scope: undefined,
  logger: undefined,
  consent: undefined,
  // The background timer is tested on its own (timer.test.ts); elsewhere it must not refresh behind a
  // test's back, so it ticks once a day.
  refreshRetryPeriod: 864e5,
  ...overrides,
});

/** Clients a test made with `client()`; their timers are stopped before the next test. */
const clients: Sdk[] = [];

/** A client of its own (events start empty), not yet initialised. */
export function client(euid = false): Sdk {
  const c = createSdk(euid);
  clients.push(c);
  return c;
}

/** A fresh start: no stored identity anywhere, and init() with every option at its default. */
export function start(overrides: Partial<Options> = {}): void {
  // Old clients' timers would keep ticking into later tests: a day-long period parks them.
  for (const c of clients.splice(0)) c.init({ refreshRetryPeriod: 864e5 });
  clear();
  localStorage.clear();
  sessionStorage.clear();
  for (const c of document.cookie.split('; ')) {
    const name = c.split('=')[0];
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
  init(baseOptions(overrides));
}

/** The identity this snippet stored (our own localStorage key), parsed. */
export const stored = (): Identity | { status: string } | null => JSON.parse(localStorage.getItem(KEY) ?? 'null');

/** URLs of every request the page made (resource timing holds fetches, images and beacons alike). */
export const requestedUrls = (): string[] => performance.getEntriesByType('resource').map((e) => e.name);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds every /v2/token/refresh answer (the real one, fetched) until `release()`; `spy` counts the calls. */
export function holdRefreshes() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const realFetch = window.fetch.bind(window);
  const spy = vi.spyOn(window, 'fetch').mockImplementation(async (input, init) => {
    const res = await realFetch(input, init);
    if (String(input).endsWith('/v2/token/refresh')) await gate;
    return res;
  });
  return { spy, release };
}
