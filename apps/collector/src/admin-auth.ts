// Bearer admin token check in constant time: both sides are hashed first, so the comparison takes the
// same time whatever the length or content of the presented token.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function bearerMatches(header: string | undefined, expected: string): boolean {
  const presented = header?.startsWith('Bearer ') ? header.slice(7) : '';
  // Always compare, even for a missing header, so timing does not say which case it was.
  const ok = timingSafeEqual(digest(presented), digest(expected));
  return ok && presented.length > 0;
}
