// Operator clients: key-synced sharing and bidstream clients, the publisher client, opt-out status,
// identity mapping (v2, v3, buckets, batches).
export { SharingClient } from './sharing-client.ts';
export type { SharingClientOptions, SharingEncryptOptions } from './sharing-client.ts';
export { BidstreamClient } from './bidstream-client.ts';
export type { BidstreamClientOptions } from './bidstream-client.ts';
export { KeySync } from './key-sync.ts';
export type { KeyRefreshFailure, KeyRefreshSuccess, KeySyncLogger, KeySyncOptions, RetryOptions } from './key-sync.ts';
export { PublisherClient } from './publisher-client.ts';
export type { PublisherClientOptions, TokenGenerateResult, TokenRefreshResult } from './publisher-client.ts';
export { IdentityTokens, InvalidIdentityError } from './identity-tokens.ts';
export type { IdentityTokensJson } from './identity-tokens.ts';
export { DEFAULT_OPTOUT_BATCH_SIZE, getOptOutStatus, OptOutStatusClient } from './optout-status.ts';
export type { OptOutStatusClientOptions } from './optout-status.ts';
export { IdentityMapInput, IdentityMapV3Input } from './identity-map-input.ts';
export type { HashedDiiType, IdentityMapEntry } from './identity-map-input.ts';
export { IdentityMapV3Client } from './identity-map-v3-client.ts';
export type { IdentityMapV3ClientOptions, IdentityMapV3Response, MappedIdentityV3 } from './identity-map-v3-client.ts';
export { IdentityMapClient } from './identity-map-client.ts';
export type { IdentityBucket, IdentityMapClientOptions, IdentityMapResponse, MappedIdentity } from './identity-map-client.ts';
export { UnmappedIdentityReason } from './unmapped-identity.ts';
export type { IdentityMapResult, UnmappedIdentity } from './unmapped-identity.ts';
export { isRetryable, mapIdentitiesInBatches, MAX_IDENTIFIERS_PER_REQUEST } from './identity-map-batches.ts';
export type { BatchOptions } from './identity-map-batches.ts';
export { CLIENT_VERSION, postEnveloped } from './operator-http.ts';
export type { OperatorAnswer, OperatorCredentials, OperatorHttpOptions } from './operator-http.ts';
export { checkBaseUrl, Uid2BaseUrlError } from './base-url.ts';
export { EnvelopeError, Uid2HttpError, Uid2NetworkError, Uid2ResponseError } from './errors.ts';
