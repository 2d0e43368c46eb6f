// The only answers a pixel caller ever gets. They are fixed bytes and fixed headers, computed once:
// the same whatever happened to the token, so a caller learns nothing from them.
import type { ServerResponse } from 'node:http';

/** The 43-byte transparent 1x1 GIF89a (the same bytes as nginx's empty_gif). */
export const TRANSPARENT_GIF = Buffer.from([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, // "GIF89a"
  0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x00, // 1x1, global colour table of 2, background 1
  0x00, 0x00, 0x00, 0xff, 0xff, 0xff, // colours: black, white
  0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, // graphic control: colour 0 is transparent
  0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image descriptor 1x1 at 0,0
  0x02, 0x02, 0x44, 0x01, 0x00, // LZW min code 2, one 2-byte block, end of data
  0x3b, // trailer
]);

const NO_STORE = {
  'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
  'X-Content-Type-Options': 'nosniff',
  // Pixels are loaded from other sites' pages; a same-origin CORP would make browsers block them.
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Referrer-Policy': 'no-referrer',
} as const;

const GIF_HEADERS = { ...NO_STORE, 'Content-Type': 'image/gif', 'Content-Length': String(TRANSPARENT_GIF.length) };
const BEACON_HEADERS = { ...NO_STORE };
const UNAVAILABLE_HEADERS = { ...NO_STORE, 'Retry-After': '1', 'Content-Length': '0' };

/** GET: 200 with the GIF. */
export function answerGif(res: ServerResponse): void {
  res.writeHead(200, GIF_HEADERS);
  res.end(TRANSPARENT_GIF);
}

/** POST (navigator.sendBeacon): 204, no body. */
export function answerBeacon(res: ServerResponse): void {
  res.writeHead(204, BEACON_HEADERS);
  res.end();
}

/**
 * The event could not be made durable (store down). 503 tells the caller to retry without saying
 * anything about its token; it is never sent for an event that was not going to be written.
 */
export function answerUnavailable(res: ServerResponse): void {
  res.writeHead(503, UNAVAILABLE_HEADERS);
  res.end();
}
