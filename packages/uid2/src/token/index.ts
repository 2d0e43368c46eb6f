// Public surface of the token codec. The *Unguarded variants stay internal (tests import them from
// their modules) so that callers always get the never-throw versions.
export { decryptToken, emptyDecryptionResult, type DecryptOptions, type TokenKeyIds } from './decrypt.ts';
export { encryptRawUid, identityTypeOfRawUid, type EncryptRawUidOptions } from './encrypt.ts';
export {
  advertisingTokenByteLength,
  decodeRawUid,
  encodeAdvertisingToken,
  TokenEncodeError,
  type AdvertisingTokenFields,
  type EncodeOptions,
} from './encode.ts';
export { openAdvertisingToken, OpenedAdvertisingToken, type KeyLookup, type OpenStatus } from './open.ts';
export * from './privacy-bits.ts';
export {
  identityByte,
  scopeFromIdentityByte,
  typeFromIdentityByte,
  TOKEN_VERSION_BYTE_V2,
  TOKEN_VERSION_BYTE_V3,
  TOKEN_VERSION_BYTE_V4,
} from './layout.ts';
export { decodeTokenString, type DecodedTokenString } from './token-string.ts';
