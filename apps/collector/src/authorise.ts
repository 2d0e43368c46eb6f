// Which sender may write which segment. A token proves who encrypted it (its site id); this map,
// from config, says which segments that site's pixels may fill. A valid token from one sender can
// therefore never write into another sender's segment.
import type { CollectorConfig } from './config.ts';
import type { EventKind } from './store/segment-store.ts';

interface Grant {
  exact: Set<string>;
  prefixes: string[];
  defaults: Partial<Record<EventKind, string>>;
}

export class SenderAcl {
  private readonly grants = new Map<number, Grant>();

  constructor(senders: CollectorConfig['senders']) {
    for (const s of senders) {
      const exact = new Set<string>();
      const prefixes: string[] = [];
      for (const g of s.segments) {
        if (g.endsWith('*')) prefixes.push(g.slice(0, -1));
        else exact.add(g);
      }
      this.grants.set(s.siteId, { exact, prefixes, defaults: s.defaults ?? {} });
    }
  }

  allows(siteId: number, segment: string): boolean {
    const g = this.grants.get(siteId);
    if (!g) return false;
    if (g.exact.has(segment)) return true;
    for (const p of g.prefixes) if (segment.startsWith(p)) return true;
    return false;
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
