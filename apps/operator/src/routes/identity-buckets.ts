// POST /v2/identity/buckets (MAPPER): the salt buckets rotated at or after since_timestamp
// (identity-map.md §3). since_timestamp is an ISO local date-time read as UTC, without a zone suffix.
import type { RequestHandler } from 'express';
import type { OperatorContext } from '../context.ts';
import { envelopeRoute } from '../http/envelope-route.ts';
import { clientError, success } from '../http/respond.ts';

const MISSING_SINCE_MESSAGE = 'missing parameter since_timestamp';
const INVALID_DATE_MESSAGE = 'invalid date, must conform to ISO 8601';

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * Java's ISO_LOCAL_DATE_TIME (strict): yyyy-MM-ddTHH:mm[:ss[.fraction]], a real calendar date, read as
 * UTC. Returns Unix ms (the fraction truncated to ms, as Instant.toEpochMilli does) or null.
 */
export function parseIsoLocalDateTime(text: string): number | null {
  const m = LOCAL_DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as number[];
  if (month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59) return null;
  const ms = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day) return null;
  return ms + Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
}

/** `yyyy-MM-dd'T'HH:mm:ss.SSS` in UTC, always three fraction digits, no zone suffix. */
export function formatLastUpdated(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

export function identityBucketsRoute(ctx: OperatorContext): RequestHandler {
  return envelopeRoute(ctx, ['MAPPER'], ({ payload }) => {
    const since = payload?.since_timestamp;
    if (since === undefined || since === null) return clientError(MISSING_SINCE_MESSAGE);
    const sinceMs = typeof since === 'string' ? parseIsoLocalDateTime(since) : null;
    if (sinceMs === null) return clientError(INVALID_DATE_MESSAGE);
    return success(ctx.store.salts.modifiedSince(sinceMs).map((b) => ({ bucket_id: b.bucketId, last_updated: formatLastUpdated(b.lastUpdated) })));
  });
}
