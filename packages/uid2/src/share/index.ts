// Sending tokens in bulk: over a receiver's bulk API, or as token files in a directory or S3 prefix.
export { shareViaApi, type ShareApiOptions, type ShareApiSummary, type ShareProgress } from './api.ts';
export { parseDestination, shareViaFiles, type FileDestination, type S3Destination, type ShareFileOptions, type ShareFileSummary } from './file.ts';
export { encryptInBatches, type EncryptedBatch, type SharingEncrypter } from './encrypt-stream.ts';
