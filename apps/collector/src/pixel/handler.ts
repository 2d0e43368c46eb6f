// The pixel path, top to bottom: parse -> intake (decrypt -> authorise -> opt-out -> durable write,
// intake/intake.ts, shared with every other way in) -> respond. It runs in node:http's 'request'
// listener before Express (Express alone costs ~6x the decrypt per request here; perf-anchors.md §2),
// and every other route falls through to Express.
// Nothing on this path logs per request, and the token is never stored or logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRetryable, type Intake } from '../intake/intake.ts';
import type { CollectorMetrics } from '../metrics.ts';
import type { EventKind } from '../store/segment-store.ts';
import { createPixelInputParser, type InputLimits } from './input.ts';
import { answerBeacon, answerGif, answerUnavailable } from './response.ts';

/** Tracking pixels (conversions) and creative pixels (impressions). A Map: paths come from the wire. */
export const PIXEL_ROUTES: ReadonlyMap<string, EventKind> = new Map([
  ['/pixel/conversion', 'conversion'],
  ['/pixel/impression', 'impression'],
]);

export interface PixelDeps {
  intake: Intake;
  metrics: CollectorMetrics;
  limits: InputLimits;
  /** Counts pixels between arrival and answer, so shutdown can wait for them. */
  inFlight: { value: number };
}

type Answer = (res: ServerResponse) => void;

/** Returns a listener that handles pixel routes and returns false for everything else. */
export function createPixelHandler(deps: PixelDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { intake, metrics, limits, inFlight } = deps;
  const parse = createPixelInputParser(limits);

  const done = (res: ServerResponse, answer: Answer) => {
    inFlight.value--;
    answer(res);
  };

  const pixelPath = (kind: EventKind, query: string, body: string | null, res: ServerResponse, answer: Answer) => {
    // parse
    const input = parse(query, body);
    if (input === null) {
      metrics.outcome('invalid_request');
      // Answered on the same tick and with the same failure as a token would be.
      intake.settle().then((outcome) => done(res, isRetryable(outcome) ? answerUnavailable : answer));
      return;
    }
    // decrypt -> authorise -> opt-out -> write; then the one success answer, or the one retryable one
    intake.submitOne({ token: input.token, segment: input.segment, kind }).then((outcome) => {
      done(res, isRetryable(outcome) ? answerUnavailable : answer);
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
