// What the e2e specs read from a collector: segment members (the admin export, as the receiver's data
// team would get them) and decrypt outcomes per sender (its Prometheus /metrics).
export interface CollectorAccess {
  /** Base URL the test process calls, e.g. http://127.0.0.1:PORT. */
  api: string;
  adminToken: string;
}

export interface ExportedMember {
  uid: string;
  segment: string;
  senderSiteId: number;
  lastKind: string;
}

/** Live members of a segment via GET /admin/segments/:segment/export (NDJSON). */
export async function segmentMembers(collector: CollectorAccess, segment: string): Promise<ExportedMember[]> {
  const response = await fetch(`${collector.api}/admin/segments/${encodeURIComponent(segment)}/export?format=ndjson`, {
    headers: { Authorization: `Bearer ${collector.adminToken}` },
  });
  // A segment nobody has written yet is a 404 (unknown_segment): it has no members.
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`export of ${segment}: HTTP ${response.status}`);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExportedMember);
}

/** Every segment's name and size. */
export async function segmentSizes(collector: CollectorAccess): Promise<Record<string, number>> {
  const response = await fetch(`${collector.api}/admin/segments`, { headers: { Authorization: `Bearer ${collector.adminToken}` } });
  if (!response.ok) throw new Error(`segments: HTTP ${response.status}`);
  const body = (await response.json()) as { segments: Array<{ segment: string; members: number }> };
  return Object.fromEntries(body.segments.map((s) => [s.segment, s.members]));
}

/** Sum of a Prometheus counter over the series whose labels include all of `labels`. */
export async function counter(collector: CollectorAccess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${collector.api}/metrics`);
  if (!response.ok) throw new Error(`metrics: HTTP ${response.status}`);
  const text = await response.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) total += Number(match[3]);
  }
  return total;
}

/** Decryption results at the collector for one sender site and status. */
export const decrypts = (collector: CollectorAccess, sender: number | string, status: string) =>
  counter(collector, 'collector_decrypt_total', { sender: String(sender), status });
