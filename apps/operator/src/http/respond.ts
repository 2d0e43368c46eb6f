// The real operator's response shapes (spec §1.2, §1.3): errors are plain JSON {status, message?};
// framework-level failures are the plain reason phrase, as Vert.x's GenericFailureHandler writes them.
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';

export interface OperatorReply {
  /** HTTP status code */
  code: number;
  /** {status, body?} on 200; {status, message?} otherwise */
  json: { status: string; body?: unknown; message?: string };
}

export const success = (body: unknown): OperatorReply => ({ code: 200, json: { status: 'success', body } });
export const optout = (): OperatorReply => ({ code: 200, json: { status: 'optout' } });
export const clientError = (message: string): OperatorReply => ({ code: 400, json: { status: 'client_error', message } });
export const unauthorized = (): OperatorReply => ({ code: 401, json: { status: 'unauthorized' } });
export const unknownError = (message: string): OperatorReply => ({ code: 500, json: { status: 'unknown', message } });

export function sendPlainJson(res: Response, reply: OperatorReply): void {
  res.status(reply.code).type('application/json').send(JSON.stringify(reply.json));
}

/** A status with its reason phrase as a text body (413 "Request Entity Too Large", 500 ...). */
export function sendReasonPhrase(res: Response, code: number): void {
  const phrase = code === 413 ? 'Request Entity Too Large' : (STATUS_CODES[code] ?? 'Error');
  res.status(code).type('text/plain').send(phrase);
}

/** Vert.x's answer when no route matches. */
export function sendNotFound(res: Response): void {
  res.status(404).type('text/html').send('<html><body><h1>Resource not found</h1></body></html>');
}

/** The answer to a 200 reply sealed for the caller: raw bytes for octet-stream requests, else base64. */
export function sendSealed(res: Response, sealed: Uint8Array, asBinary: boolean): void {
  if (asBinary) res.status(200).type('application/octet-stream').send(Buffer.from(sealed));
  else res.status(200).type('text/plain').send(Buffer.from(sealed).toString('base64'));
}
