// Which sender may write which segment, and which segments exist at all. A token proves who encrypted
// it (its site id); this map, from config, says which segments that site's data may fill. A valid
// token from one sender can therefore never write into another sender's segment.
//
// Segments are declared, never invented by input: an exact name in a sender's list exists; a pattern
// (`prefix*`) admits at most `maxSegmentsPerPattern` distinct names, first come first served (the
// names already in the store count, so a restart does not reset the cap). Past the cap a new name is
// 'undeclared_segment': counted and dropped. So one valid token sent with 10,000 segment names grows
// the store, the metric label sets and the status page by at most that cap.
import type { CollectorConfig } from './config.ts';
import type { EventKind } from './store/segment-store.ts';

interface Pattern {
  prefix: string;
  /** Names admitted under this pattern so far (this process). */
  members: Set<string>;
}

interface Grant {
  exact: Set<string>;
  patterns: Pattern[];
  cap: number;
  defaults: Partial<Record<EventKind, string>>;
}

/** The segment an item may fill, or why it may not. */
export type Admission = { ok: true; segment: string } | { ok: false; outcome: 'not_authorised' | 'undeclared_segment' };

const NOT_AUTHORISED: Admission = { ok: false, outcome: 'not_authorised' };
const UNDECLARED: Admission = { ok: false, outcome: 'undeclared_segment' };

export class SenderAcl {
  private readonly grants = new Map<number, Grant>();

  constructor(senders: CollectorConfig['senders']) {
    for (const s of senders) {
      const exact = new Set<string>();
      const patterns: Pattern[] = [];
      for (const g of s.segments) {
        if (g.endsWith('*')) patterns.push({ prefix: g.slice(0, -1), members: new Set() });
        else exact.add(g);
      }
      this.grants.set(s.siteId, { exact, patterns, cap: s.maxSegmentsPerPattern, defaults: s.defaults ?? {} });
    }
  }

  /**
   * Counts segments that already exist (from the store at start) against their patterns' caps. A name
   * is counted even when that takes a pattern past its cap: it exists, and stays writable.
   */
  seed(existing: Iterable<string>): void {
    for (const name of existing) {
      for (const g of this.grants.values()) {
        if (g.exact.has(name)) continue;
        for (const p of g.patterns) if (name.startsWith(p.prefix)) p.members.add(name);
      }
    }
  }

  /** The segment a sender's item fills (the named one, or the kind's default), or why it may not. */
  admit(siteId: number, segment: string | undefined, kind: EventKind): Admission {
    const g = this.grants.get(siteId);
    if (!g) return NOT_AUTHORISED;
    const name = segment ?? g.defaults[kind];
    if (name === undefined) return NOT_AUTHORISED;
    if (g.exact.has(name)) return { ok: true, segment: name };
    for (const p of g.patterns) {
      if (!name.startsWith(p.prefix)) continue;
      if (p.members.has(name)) return { ok: true, segment: name };
      if (p.members.size >= g.cap) return UNDECLARED;
      p.members.add(name);
      return { ok: true, segment: name };
    }
    return NOT_AUTHORISED;
  }

  /** True when the sender's grant covers the name (exact or pattern), whatever the pattern caps. */
  allows(siteId: number, segment: string): boolean {
    const g = this.grants.get(siteId);
    if (!g) return false;
    return g.exact.has(segment) || g.patterns.some((p) => segment.startsWith(p.prefix));
  }

  /** The segment a sender's pixel of this kind fills when the pixel names none. */
  defaultSegment(siteId: number, kind: EventKind): string | undefined {
    return this.grants.get(siteId)?.defaults[kind];
  }

  /** Site ids of configured senders (for metrics labels and the status page). */
  senders(): number[] {
    return [...this.grants.keys()];
  }
}
