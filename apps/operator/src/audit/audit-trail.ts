// The audit trail: one JSON line per change (the portal's columns: date, user, event, data, succeeded).
// Event data never holds DII, raw UID2s, keys or secrets: only ids, names, types and counts.
import { existsSync, readFileSync } from 'node:fs';
import { appendLine } from '../state/atomic-file.ts';

export type AuditEvent =
  | 'Seed Data Dir'
  | 'Manage Participant'
  | 'Manage API Key'
  | 'Manage Key Pair'
  | 'Update Domain Names'
  | 'Update Sharing Permissions'
  | 'Update Sharing Types'
  | 'Rotate Keys'
  | 'Rotate Salts'
  | 'Manage Opt-out';

export interface AuditEntry {
  time: number;
  user: string;
  event: AuditEvent;
  data: Record<string, unknown>;
  succeeded: boolean;
}

export class AuditTrail {
  readonly #path: string;
  readonly #now: () => number;

  constructor(path: string, now: () => number) {
    this.#path = path;
    this.#now = now;
  }

  record(user: string, event: AuditEvent, data: Record<string, unknown>, succeeded = true): AuditEntry {
    const entry: AuditEntry = { time: this.#now(), user, event, data, succeeded };
    appendLine(this.#path, JSON.stringify(entry));
    return entry;
  }

  /** Newest first. A torn last line (crash mid-append) is skipped, not fatal. */
  read(limit = 500): AuditEntry[] {
    if (!existsSync(this.#path)) return [];
    const entries: AuditEntry[] = [];
    for (const line of readFileSync(this.#path, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // a partial line from an interrupted append
      }
    }
    return entries.reverse().slice(0, limit);
  }
}
