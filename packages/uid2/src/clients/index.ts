// Operator clients: key-synced sharing and bidstream clients, the publisher client, opt-out status.
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
export { CLIENT_VERSION, postEnveloped } from './operator-http.ts';
export type { OperatorAnswer, OperatorCredentials, OperatorHttpOptions } from './operator-http.ts';
export { checkBaseUrl, Uid2BaseUrlError } from './base-url.ts';
export { EnvelopeError, Uid2HttpError, Uid2NetworkError, Uid2ResponseError } from './errors.ts';
