// The record codec of the embedded store's append-only log: one JSON array per line.
// Compact arrays keep lines near 130 bytes and JSON.stringify fast; the first element says what it is.
//   ["e", segment, uid, senderSiteId, kind, at, identityType, tokenVersion]            event (membership upsert)
//   ["m", segment, uid, senderSiteId, kind, firstSeen, lastSeen, identityType, version] member (compaction snapshot)
//   ["h", id, segment, uid, senderSiteId, kind, at, identityType, tokenVersion]         held event
//   ["r", id]                                                                            held event released
//   ["x", segment, uid]                                                                  membership removed
//   ["t"]                                                                                a commit with nothing in it (sync())
import type { IdentityType, TokenVersion } from '@uid2-pixels/uid2';
import type { EventKind, Member, SegmentEvent } from './segment-store.ts';

export const LOG_HEADER = '["uid2-collector-log",1]\n';

type Kind = 'c' | 'i' | 'a' | 'f';
type Ident = 'e' | 'p';
export type EventRecord = ['e', string, string, number, Kind, number, Ident, number];
export type MemberRecord = ['m', string, string, number, Kind, number, number, Ident, number];
export type HeldRecord = ['h', number, string, string, number, Kind, number, Ident, number];
export type ReleaseRecord = ['r', number];
export type RemoveRecord = ['x', string, string];
export type TickRecord = ['t'];
export type LogRecord = EventRecord | MemberRecord | HeldRecord | ReleaseRecord | RemoveRecord | TickRecord;

/** The line of a commit that keeps nothing: a request that wrote nothing waits for a real durable write. */
export const TICK_LINE = '["t"]\n';

const KIND_CODES: Record<EventKind, Kind> = { conversion: 'c', impression: 'i', api: 'a', file: 'f' };
const KINDS: Record<Kind, EventKind> = { c: 'conversion', i: 'impression', a: 'api', f: 'file' };
export const kindCode = (k: EventKind): Kind => KIND_CODES[k];
export const kindOf = (c: Kind): EventKind => KINDS[c];
const identCode = (t: IdentityType): Ident => (t === 'Email' ? 'e' : 'p');
const identOf = (c: Ident): IdentityType => (c === 'e' ? 'Email' : 'Phone');

export function eventRecord(e: SegmentEvent): EventRecord {
  return ['e', e.segment, e.uid, e.senderSiteId, kindCode(e.kind), e.at, identCode(e.identityType), e.tokenVersion];
}

export function heldRecord(id: number, e: SegmentEvent): HeldRecord {
  return ['h', id, e.segment, e.uid, e.senderSiteId, kindCode(e.kind), e.at, identCode(e.identityType), e.tokenVersion];
}

export function memberRecord(m: Member): MemberRecord {
  return ['m', m.segment, m.uid, m.senderSiteId, kindCode(m.kind), m.firstSeen, m.lastSeen, identCode(m.identityType), m.tokenVersion];
}

export function eventOf(r: EventRecord): SegmentEvent {
  return { segment: r[1], uid: r[2], senderSiteId: r[3], kind: kindOf(r[4]), at: r[5], identityType: identOf(r[6]), tokenVersion: r[7] as TokenVersion };
}

export function heldEventOf(r: HeldRecord): SegmentEvent {
  return { segment: r[2], uid: r[3], senderSiteId: r[4], kind: kindOf(r[5]), at: r[6], identityType: identOf(r[7]), tokenVersion: r[8] as TokenVersion };
}

/** The membership a first event starts (what mergeMember(undefined, eventOf(r)) gives). */
export function memberOfEvent(r: EventRecord): Member {
  return {
    uid: r[2], segment: r[1], firstSeen: r[5], lastSeen: r[5], senderSiteId: r[3], kind: kindOf(r[4]),
    identityType: identOf(r[6]), tokenVersion: r[7] as TokenVersion,
  };
}

export function memberOf(r: MemberRecord): Member {
  return {
    segment: r[1], uid: r[2], senderSiteId: r[3], kind: kindOf(r[4]), firstSeen: r[5], lastSeen: r[6],
    identityType: identOf(r[7]), tokenVersion: r[8] as TokenVersion,
  };
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isKind = (v: unknown): v is Kind => v === 'c' || v === 'i' || v === 'a' || v === 'f';
const isIdent = (v: unknown): v is Ident => v === 'e' || v === 'p';

/** Parses one log line; null when it is not a well-formed record (a torn or foreign line). */
export function parseRecord(line: string): LogRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!Array.isArray(v)) return null;
  switch (v[0]) {
    case 'e':
      return v.length === 8 && isStr(v[1]) && isStr(v[2]) && isNum(v[3]) && isKind(v[4]) && isNum(v[5]) && isIdent(v[6]) && isNum(v[7])
        ? (v as EventRecord) : null;
    case 'm':
      return v.length === 9 && isStr(v[1]) && isStr(v[2]) && isNum(v[3]) && isKind(v[4]) && isNum(v[5]) && isNum(v[6]) && isIdent(v[7]) && isNum(v[8])
        ? (v as MemberRecord) : null;
    case 'h':
      return v.length === 9 && isNum(v[1]) && isStr(v[2]) && isStr(v[3]) && isNum(v[4]) && isKind(v[5]) && isNum(v[6]) && isIdent(v[7]) && isNum(v[8])
        ? (v as HeldRecord) : null;
    case 'r':
      return v.length === 2 && isNum(v[1]) ? (v as ReleaseRecord) : null;
    case 'x':
      return v.length === 3 && isStr(v[1]) && isStr(v[2]) ? (v as RemoveRecord) : null;
    case 't':
      return v.length === 1 ? (v as TickRecord) : null;
    default:
      return null;
  }
}
