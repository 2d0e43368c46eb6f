// The public API as one object: the ESM build re-exports its members (index.ts), the <script> build puts
// it on a global (global.ts).
import { isNormalizedPhone, normalizeEmail } from '@uid2-pixels/uid2/dii/normalize';
import { guardAll } from './guard.ts';
import { sha256 } from './hash.ts';
import { clear, configure, getToken, hasOptedOut, setIdentity } from './identity.ts';
import { fillMacro, impression, scan, track } from './pixel.ts';
import type { Options } from './types.ts';

export const api = guardAll({
  /** Sets the operator and CSTG credentials (call again to change options); refreshes a due identity. */
  init: (o: Options): void => {
    configure(o);
    void getToken();
  },
  /** Normalises (gmail rules) and hashes the email in the page, then generates a token. Resolves to it. */
  setEmail: (email: string) => setIdentity('email_hash', normalizeEmail(email), sha256),
  /** Hashes an E.164 phone number (`+` and 10 to 15 digits) in the page, then generates a token. */
  setPhone: (phone: string) => setIdentity('phone_hash', isNormalizedPhone(phone) && phone, sha256),
  /** Generates a token from base64 SHA-256 of a normalised email. */
  setEmailHash: (hash: string) => setIdentity('email_hash', hash),
  /** Generates a token from base64 SHA-256 of an E.164 phone number. */
  setPhoneHash: (hash: string) => setIdentity('phone_hash', hash),
  /** The current advertising token (refreshed first when due), or undefined. */
  getToken,
  /** True while an opt-out answer stands (ours, or one the official SDK or Prebid stored). */
  hasOptedOut,
  /** Forgets the identity this snippet stored (a logout). */
  clear,
  /** Fires a conversion pixel with the token in its query; resolves to whether it fired. */
  track,
  /** Fires an impression pixel; `fill` lets the page's own token fill a macro the DSP left. */
  impression,
  /** Replaces `${UID2_TOKEN}` / `%%UID2_TOKEN%%` with the URL-encoded token. */
  fillMacro,
  /** Fires the declarative pixels under `root` (`data-uid2-pixel`, `data-uid2-creative`). */
  scan,
});
