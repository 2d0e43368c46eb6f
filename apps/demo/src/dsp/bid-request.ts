// The slice of an OpenRTB 2.x bid request the demo DSP reads: one impression, the site's domain, and the
// UID2 advertising token in user.ext.eids (source "uidapi.com"), where the bid stream carries it.
import { DemoError } from '../errors.ts';

export interface BidRequest {
  id: string;
  impId: string;
  /** site.domain: checked against the token's site for client-side generated tokens. */
  domain: string;
  /** The publisher's UID2 advertising token, or null when the request carries none. */
  uid2Token: string | null;
}

const MAX_TOKEN_CHARS = 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses an untrusted body. Throws DemoError('BAD_BID_REQUEST') naming the first field that is wrong. */
export function parseBidRequest(body: unknown): BidRequest {
  const fail = (what: string): never => {
    throw new DemoError('BAD_BID_REQUEST', `bid request: ${what}`);
  };
  if (!isObject(body)) return fail('body must be a JSON object');
  const id = typeof body.id === 'string' && body.id.length <= 64 ? body.id : fail('id must be a string');
  const imps = Array.isArray(body.imp) ? body.imp : fail('imp must be an array');
  const imp = imps[0];
  if (!isObject(imp) || typeof imp.id !== 'string' || imp.id.length > 64) return fail('imp[0].id must be a string');
  const site = isObject(body.site) ? body.site : fail('site must be an object');
  const domain = typeof site.domain === 'string' && /^[a-z0-9.-]{1,253}$/i.test(site.domain)
    ? site.domain.toLowerCase()
    : fail('site.domain must be a host name');

  let uid2Token: string | null = null;
  const eids = isObject(body.user) && isObject(body.user.ext) ? body.user.ext.eids : undefined;
  if (eids !== undefined && !Array.isArray(eids)) fail('user.ext.eids must be an array');
  for (const eid of (eids as unknown[] | undefined) ?? []) {
    if (!isObject(eid) || eid.source !== 'uidapi.com' || !Array.isArray(eid.uids)) continue;
    const uid = eid.uids[0];
    if (isObject(uid) && typeof uid.id === 'string' && uid.id.length > 0) {
      if (uid.id.length > MAX_TOKEN_CHARS) fail('the UID2 token is too long');
      uid2Token = uid.id;
    }
  }
  return { id, impId: imp.id, domain, uid2Token };
}
