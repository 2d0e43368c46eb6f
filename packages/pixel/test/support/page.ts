// Browser-side helpers shared by the pixel tests.
import { expect, inject } from 'vitest';
import { clear, init } from '../../src/index.ts';
import { KEY } from '../../src/store.ts';
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
export async function check<T>(name: 'validate' | 'rawUid', body: object): Promise<T> {
  const res = await fetch(`${sinkUrl()}/__check/${name}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`check ${name} failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A fresh start: no stored identity anywhere, and init() with every option at its default. */
export function start(overrides: Partial<Options> = {}): void {
  clear();
  localStorage.clear();
  sessionStorage.clear();
  for (const c of document.cookie.split('; ')) {
    const name = c.split('=')[0];
    if (name) document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
  }
  init({
    operatorUrl: inject('operatorUrl'),
    ...inject('advertiser'),
    param: undefined,
    wait: undefined,
    requireToken: undefined,
    beacon: undefined,
    ...overrides,
  });
}

/** The identity this snippet stored (our own localStorage key), parsed. */
export const stored = (): Identity | { status: string } | null => JSON.parse(localStorage.getItem(KEY) ?? 'null');

/** URLs of every request the page made (resource timing holds fetches, images and beacons alike). */
export const requestedUrls = (): string[] => performance.getEntriesByType('resource').map((e) => e.name);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
