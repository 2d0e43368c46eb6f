// Small HTTP helpers for tests: fetch a pixel and keep what a caller would see.
import { expect } from 'vitest';
export interface Seen {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export async function see(url: string, init?: RequestInit): Promise<Seen> {
  const r = await fetch(url, init);
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => {
    if (k !== 'date') headers[k] = v;
  });
  return { status: r.status, headers, body: Buffer.from(await r.arrayBuffer()) };
}

export function pixelUrl(base: string, kind: 'conversion' | 'impression', params: Record<string, string>): string {
  return `${base}/pixel/${kind}?${new URLSearchParams(params)}`;
}

export async function adminJson(base: string, path: string, token: string): Promise<unknown> {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

/**
 * A new UID2 is held durably and its opt-out decided off the answer path: wait until the collector has
 * no undecided event left, so memberships can be read.
 */
export async function waitDecided(base: string, token: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { held } = (await adminJson(base, '/admin/segments', token)) as { held: number };
    if (held === 0) return;
    if (Date.now() > end) throw new Error(`${held} held events were not decided in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A segment's members through the admin export (NDJSON). A segment nobody has written is a 404
 * `unknown_segment`: no members. Any other failure fails the test.
 */
export async function exportedMembers(base: string, token: string, segment: string): Promise<Array<Record<string, unknown>>> {
  const r = await fetch(`${base}/admin/segments/${encodeURIComponent(segment)}/export?format=ndjson`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status === 404) {
    expect(((await r.json()) as { error?: string }).error).toBe('unknown_segment');
    return [];
  }
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The sum of a counter's series in Prometheus text whose labels include all of `labels`. */
export function sumSeries(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && want.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** sumSeries over a collector's /metrics; 0 while the collector does not answer (killed, restarting). */
export async function scrapedTotal(base: string, token: string, name: string, labels: Record<string, string>): Promise<number> {
  try {
    return sumSeries(await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text(), name, labels);
  } catch {
    return 0;
  }
}
