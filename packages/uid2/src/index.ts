// Public API of @uid2-pixels/uid2. Each module does one thing; this file only re-exports.
export type * from './types.ts';
export * from './dii/index.ts';
// Token codec (encoding, crypto, envelope, keys, token).
export * from './encoding/base64.ts';
export * from './crypto/aes.ts';
export * from './errors.ts';
export * from './envelope/index.ts';
export * from './keys/index.ts';
export * from './token/index.ts';
// Operator clients (key sync, publisher, opt-out status).
export * from './clients/index.ts';
// Creative pixel URLs filled with sharing tokens.
export * from './pixel-url.ts';
