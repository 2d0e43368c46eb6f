// The status page's JSON: counters read back from the Prometheus text (the same numbers /metrics
// shows, and in cluster mode already summed over the workers by the primary), their history since
// start, and live members counted as an export counts them.
import type { HistorySample, HistorySnapshot, StatusHistory } from './history.ts';
import type { LiveCounts } from './members.ts';

/** A sender as the status page names it: its site id, the name our config gives it, its domains. */
export interface SenderInfo {
  name: string | null;
  /** Domains and app names from the sharing keys' site data. */
  domains: string[];
}

export interface StatusData {
  at: number;
  keysLoaded: boolean;
  keyAgeSeconds: number | null;
  heldEvents: number;
  /** Events written per segment since start (the page turns deltas into rates). */
  eventsBySegment: Record<string, number>;
  /** Decryption results by status since start. */
  decryptByStatus: Record<string, number>;
  /** Outcomes since start: of pixels, and of any other route that counts outcomes. */
  outcomes: Record<string, number>;
  /**
   * The same, by sender site id: the site the token names, or for a token sealed with a key no longer
   * shared with us, the site that key belonged to ("unknown" when neither is known).
   */
  outcomesBySender: Record<string, Record<string, number>>;
  /** Decryption results by sender (as above) and status: NotAuthorizedForKey under a site id = revoked. */
  decryptBySender: Record<string, Record<string, number>>;
  /** Tokens sealed with a key id no site can be named for: key id -> what we know of it -> count. */
  unattributedKeys: Record<string, Record<string, number>>;
  /** What we know of each sender site id that appears above. */
  senders: Record<string, SenderInfo>;
  /** Live members per segment, as an export would count them (opted-out members left out). */
  members: Record<string, number>;
  /** False when the operator could not be asked: `members` then still includes opted-out members. */
  membersOptoutChecked: boolean;
  /** Counters since this time (a restart starts them again; members persist). */
  startedAt: number;
  history: HistorySnapshot;
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

function parsePrometheusText(text: string): Sample[] {
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
    const row = (out[s.labels[outer] ?? 'unknown'] ??= {});
    const key = s.labels[inner] ?? '';
    row[key] = (row[key] ?? 0) + s.value;
  }
  return out;
}

function single(samples: Sample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}

/** The counters the history keeps, from the Prometheus text. */
export function historyValues(text: string): Omit<HistorySample, 'at'> {
  const samples = parsePrometheusText(text);
  return {
    segments: sumBy(samples, 'collector_events_written_total', 'segment'),
    outcomes: sumBy(samples, 'collector_pixel_outcomes_total', 'outcome'),
  };
}

export interface StatusInputs {
  metricsText: string;
  members: LiveCounts;
  history: StatusHistory;
  senderInfo: (siteId: number) => SenderInfo;
  now?: number;
}

export function buildStatus(inputs: StatusInputs): StatusData {
  const now = inputs.now ?? Date.now();
  const samples = parsePrometheusText(inputs.metricsText);
  const keyAge = single(samples, 'collector_key_age_seconds');
  const outcomesBySender = sumBy2(samples, 'collector_pixel_outcomes_total', 'sender', 'outcome');
  const senders: Record<string, SenderInfo> = {};
  for (const id of Object.keys(outcomesBySender)) {
    if (/^\d+$/.test(id)) senders[id] = inputs.senderInfo(Number(id));
  }
  const latest = { at: now, ...historyValues(inputs.metricsText) };
  return {
    at: now,
    keysLoaded: single(samples, 'collector_keys_loaded') === 1,
    keyAgeSeconds: keyAge === undefined || keyAge < 0 ? null : keyAge,
    heldEvents: Math.max(0, single(samples, 'collector_held_events') ?? 0),
    eventsBySegment: latest.segments,
    decryptByStatus: sumBy(samples, 'collector_decrypt_total', 'status'),
    outcomes: latest.outcomes,
    outcomesBySender,
    decryptBySender: sumBy2(samples, 'collector_decrypt_total', 'sender', 'status'),
    unattributedKeys: sumBy2(samples, 'collector_unattributed_key_total', 'key_id', 'key'),
    senders,
    members: inputs.members.members,
    membersOptoutChecked: inputs.members.optoutChecked,
    startedAt: inputs.history.startedAt,
    history: inputs.history.snapshot(latest),
    bulk: sumBy2(samples, 'collector_bulk_items_total', 'route', 'outcome'),
    dropFiles: sumBy(samples, 'collector_drop_files_total', 'result'),
  };
}
