// CORS as the real operator answers it (spec §1.4): any origin (reflected), GET/POST/OPTIONS, headers
// Content-Type and X-UID2-Client-Version (+ Authorization on /v2/token/validate). Set on every response,
// errors included, or the browser hides the error body from the page. Preflights end here with 204.
import type { NextFunction, Request, Response } from 'express';

const BASE_HEADERS = 'Content-Type, X-UID2-Client-Version';
const VALIDATE_PATH = '/v2/token/validate';

export function cors(req: Request, res: Response, next: NextFunction): void {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  if (req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', req.path === VALIDATE_PATH ? `${BASE_HEADERS}, Authorization` : BASE_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
    return;
  }
  next();
}
