// Small HTTP helpers for tests: fetch a pixel and keep what a caller would see.
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
