// The pixel path, top to bottom: parse -> decrypt -> authorise -> opt-out -> write -> respond.
// It runs in node:http's 'request' listener before Express (Express alone costs ~6x the decrypt per
// request here; perf-anchors.md §2), and every other route falls through to Express.
// Nothing on this path logs per request, and the token is never stored or logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SenderAcl } from '../authorise.ts';
import type { TokenDecrypter } from '../decrypter.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { OptoutGate } from '../optout-gate.ts';
import type { EventKind, SegmentEvent, SegmentStore } from '../store/segment-store.ts';
import { createPixelInputParser, type InputLimits } from './input.ts';
import { answerBeacon, answerGif, answerUnavailable } from './response.ts';

/** Tracking pixels (conversions) and creative pixels (impressions). A Map: paths come from the wire. */
export const PIXEL_ROUTES: ReadonlyMap<string, EventKind> = new Map([
  ['/pixel/conversion', 'conversion'],
  ['/pixel/impression', 'impression'],
]);

export interface PixelDeps {
  decrypter: TokenDecrypter;
  acl: SenderAcl;
  gate: OptoutGate;
  store: SegmentStore;
  metrics: CollectorMetrics;
  limits: InputLimits;
  /** Called (rate-limited by the caller) when the store rejects a write. Never given the event. */
  onStoreError: (err: Error) => void;
  /** Counts pixels between arrival and answer, so shutdown can wait for them. */
  inFlight: { value: number };
}

type Answer = (res: ServerResponse) => void;

/** Returns a listener that handles pixel routes and returns false for everything else. */
export function createPixelHandler(deps: PixelDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { decrypter, acl, gate, store, metrics, limits, inFlight } = deps;
  const parse = createPixelInputParser(limits);

  const done = (res: ServerResponse, answer: Answer) => {
    inFlight.value--;
    answer(res);
  };

  const write = (event: SegmentEvent, res: ServerResponse, answer: Answer) => {
    store.write(event).then(
      () => {
        metrics.written(event.segment, event.kind);
        metrics.outcome('written', event.senderSiteId);
        done(res, answer);
      },
      (err: Error) => {
        metrics.outcome('store_failed', event.senderSiteId);
        deps.onStoreError(err);
        done(res, answerUnavailable);
      },
    );
  };

  const hold = (event: SegmentEvent, res: ServerResponse, answer: Answer) => {
    store.hold(event).then(
      () => {
        metrics.outcome('held', event.senderSiteId);
        done(res, answer);
      },
      (err: Error) => {
        metrics.outcome('store_failed', event.senderSiteId);
        deps.onStoreError(err);
        done(res, answerUnavailable);
      },
    );
  };

  const pixelPath = (kind: EventKind, query: string, body: string | null, res: ServerResponse, answer: Answer) => {
    // parse
    const input = parse(query, body);
    if (input === null) {
      metrics.outcome('invalid_request');
      return done(res, answer);
    }
    // decrypt
    const result = decrypter.decrypt(input.token);
    metrics.decrypt(result.siteId, result.status);
    if (result.status !== 'Success' || result.uid === null || result.siteId === null) {
      metrics.outcome('decrypt_failed', result.siteId);
      return done(res, answer);
    }
    // authorise
    const segment = input.segment ?? acl.defaultSegment(result.siteId, kind);
    if (segment === undefined || !acl.allows(result.siteId, segment)) {
      metrics.outcome('unauthorised', result.siteId);
      return done(res, answer);
    }
    const event: SegmentEvent = {
      uid: result.uid,
      segment,
      senderSiteId: result.siteId,
      kind,
      at: Date.now(),
      identityType: result.identityType ?? 'Email',
      tokenVersion: result.tokenVersion ?? 4,
    };
    // opt-out, then write (or hold until the operator can say)
    const cached = gate.cached(event.uid);
    if (cached === 'in') return write(event, res, answer);
    if (cached === 'out') {
      metrics.outcome('opted_out', event.senderSiteId);
      return done(res, answer);
    }
    gate.check(event.uid).then((verdict) => {
      if (verdict === 'in') write(event, res, answer);
      else if (verdict === 'unknown') hold(event, res, answer);
      else {
        metrics.outcome('opted_out', event.senderSiteId);
        done(res, answer);
      }
    });
  };

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const kind = PIXEL_ROUTES.get(q === -1 ? url : url.slice(0, q));
    if (kind === undefined) return false;
    const method = req.method;
    if (method !== 'GET' && method !== 'POST') return false;
    const query = q === -1 ? '' : url.slice(q + 1);
    metrics.request(kind, method);
    inFlight.value++;
    if (method === 'GET') {
      pixelPath(kind, query, null, res, answerGif);
      return true;
    }
    // POST (sendBeacon): read a small body; anything larger is dropped unread and answered the same.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.bodyMaxBytes) {
      metrics.outcome('invalid_request');
      res.shouldKeepAlive = false;
      done(res, answerBeacon);
      req.resume();
      return true;
    }
    let body = '';
    let tooLarge = false;
    let ended = false;
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => {
      if (tooLarge) return;
      body += chunk;
      if (body.length > limits.bodyMaxBytes) tooLarge = true;
    });
    req.on('end', () => {
      ended = true;
      if (tooLarge) {
        metrics.outcome('invalid_request');
        return done(res, answerBeacon);
      }
      pixelPath(kind, query, body, res, answerBeacon);
    });
    req.on('error', () => {}); // an aborted upload; 'close' below settles it
    req.on('close', () => {
      // The caller went away mid-body: nothing to answer, nothing written.
      if (!ended) {
        ended = true;
        inFlight.value--;
      }
    });
    return true;
  };
}
