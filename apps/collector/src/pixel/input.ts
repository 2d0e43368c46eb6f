// Step 1 of a pixel: the query string (and for sendBeacon, the body) -> a validated PixelInput.
// Size limits come first, then zod. Tokens are opaque (never case-changed), but a `+` that arrived
// unencoded reads back as a space in a query string; no token contains a space, so it is restored.
import { z } from 'zod';
import { SEGMENT_NAME } from '../config.ts';
import { isTokenShaped } from '../token-shape.ts';

export interface PixelInput {
  token: string;
  /** Omitted: the sender's default segment for this pixel kind. */
  segment: string | undefined;
}

export interface InputLimits {
  tokenMaxBytes: number;
  queryMaxBytes: number;
  bodyMaxBytes: number;
}

/** The query parameter that carries the token (the @uid2-pixels/pixel snippet's default). */
export const TOKEN_PARAM = 'uid2_token';
export const SEGMENT_PARAM = 'segment';

function pixelInputSchema(limits: InputLimits) {
  return z.object({
    token: z.string().refine((t) => isTokenShaped(t, limits.tokenMaxBytes)),
    segment: z.string().regex(SEGMENT_NAME).optional(),
  });
}

export type PixelInputParser = (query: string, body: string | null) => PixelInput | null;

export function createPixelInputParser(limits: InputLimits): PixelInputParser {
  const schema = pixelInputSchema(limits);
  return (query, body) => {
    if (query.length > limits.queryMaxBytes) return null;
    const params = new URLSearchParams(query);
    let token = params.get(TOKEN_PARAM);
    let segment = params.get(SEGMENT_PARAM);
    if (body !== null && body.length > 0) {
      // sendBeacon bodies: urlencoded pairs (URLSearchParams or a plain string of them).
      const form = new URLSearchParams(body);
      token ??= form.get(TOKEN_PARAM);
      segment ??= form.get(SEGMENT_PARAM);
    }
    if (token === null) return null;
    if (token.includes(' ')) token = token.replaceAll(' ', '+');
    const parsed = schema.safeParse({ token, segment: segment ?? undefined });
    return parsed.success ? { token: parsed.data.token, segment: parsed.data.segment } : null;
  };
}
