// The status page's JSON: counters read back from the Prometheus text (the same numbers /metrics
// shows, and in cluster mode already summed over the workers by the primary).

export interface StatusData {
  at: number;
  keysLoaded: boolean;
  keyAgeSeconds: number | null;
  heldEvents: number;
  /** Events written per segment since start (the page turns deltas into rates). */
  eventsBySegment: Record<string, number>;
  /** Decryption results by status since start. */
  decryptByStatus: Record<string, number>;
  /** Pixel outcomes since start. */
  outcomes: Record<string, number>;
  /** Live members per segment (refreshed at most every few seconds). */
  members: Record<string, number>;
  /** Bulk routes since start: items by route (api, file) and outcome (written, held, or a reject reason). */
  bulk: Record<string, Record<string, number>>;
  /** Dropped files finished since start, by result (done, failed). */
  dropFiles: Record<string, number>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sums `name` samples grouped by one label. */
function sumBy(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** Sums `name` samples grouped by two labels: outer -> inner -> value. */
function sumBy2(samples: Sample[], name: string, outer: string, inner: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const o = (out[s.labels[outer] ?? ''] ??= {});
    const key = s.labels[inner] ?? '';
    o[key] = (o[key] ?? 0) + s.value;
  }
  return out;
}

function single(samples: Sample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}

export function statusFromMetrics(text: string, members: Record<string, number>, now = Date.now()): StatusData {
  const samples = parsePrometheusText(text);
  const keyAge = single(samples, 'collector_key_age_seconds');
  return {
    at: now,
    keysLoaded: single(samples, 'collector_keys_loaded') === 1,
    keyAgeSeconds: keyAge === undefined || keyAge < 0 ? null : keyAge,
    heldEvents: Math.max(0, single(samples, 'collector_held_events') ?? 0),
    eventsBySegment: sumBy(samples, 'collector_events_written_total', 'segment'),
    decryptByStatus: sumBy(samples, 'collector_decrypt_total', 'status'),
    outcomes: sumBy(samples, 'collector_pixel_outcomes_total', 'outcome'),
    members,
    bulk: sumBy2(samples, 'collector_bulk_items_total', 'route', 'outcome'),
    dropFiles: sumBy(samples, 'collector_drop_files_total', 'result'),
  };
}
