// DII: normalise, check, hash, and build /v2/token/generate bodies. normalize.ts alone is browser-safe.
export { isDiiHash, isNormalizedPhone, normalizeEmail } from './normalize.ts';
export { hashEmail, hashPhone, normalizeAndHashEmail, normalizeAndHashPhone, sha256Base64 } from './hash.ts';
export { tokenGenerateRequestBody } from './token-generate-request.ts';
export type { TokenGenerateInput, TokenGenerateRequestBody } from './token-generate-request.ts';
export { InvalidDiiError } from './errors.ts';
