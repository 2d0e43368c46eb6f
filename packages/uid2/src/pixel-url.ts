// Creative pixel URLs for DSPs: a template from the advertiser or measurement partner, with a token
// macro, filled with a fresh *sharing* token encrypted from the raw UID2 — never with the raw UID2
// and never with the bid-stream token the DSP received.
//
// Macros: `${UID2_TOKEN}` and `%%UID2_TOKEN%%` (both common in ad-server templates); every occurrence
// is replaced by the same URL-encoded token. A template without a macro is a configuration error.
//
// Failure: creativePixelUrl throws PixelTokenError carrying the encryption status, so a caller cannot
// serve a half-filled URL by accident; tryCreativePixelUrl returns {status, url: null} instead, for
// hot paths where "no pixel" is an ordinary outcome (the ad still serves, the measurement is lost).
import { Uid2Error } from './errors.ts';
import type { EncryptionResult, EncryptionStatus } from './types.ts';

export const UID2_TOKEN_MACROS = ['${UID2_TOKEN}', '%%UID2_TOKEN%%'] as const;

/** Anything that turns a raw UID2 into a sharing token: a SharingClient, or a test double. */
export interface RawUidEncrypter {
  encrypt(rawUid2: string): EncryptionResult;
}

/** The template has no token macro: the pixel would carry no identity. */
export class PixelTemplateError extends Uid2Error {
  constructor() {
    super('pixel-template', 'pixel URL template has no ${UID2_TOKEN} or %%UID2_TOKEN%% macro');
  }
}

/** The raw UID2 could not be encrypted into a sharing token; `status` says why. */
export class PixelTokenError extends Uid2Error {
  readonly status: EncryptionStatus;
  constructor(status: Exclude<EncryptionStatus, 'Success'>) {
    super('pixel-token', `could not encrypt a sharing token for the pixel: ${status}`);
    this.status = status;
  }
}

export type PixelUrlResult =
  | { status: 'Success'; url: string }
  | { status: Exclude<EncryptionStatus, 'Success'>; url: null };

function hasMacro(template: string): boolean {
  return UID2_TOKEN_MACROS.some((macro) => template.includes(macro));
}

function fill(template: string, token: string): string {
  const encoded = encodeURIComponent(token);
  let url = template;
  for (const macro of UID2_TOKEN_MACROS) url = url.replaceAll(macro, encoded);
  return url;
}

/**
 * Fills the template's token macros with a sharing token for `rawUid2`. Never throws for encryption
 * failures: the result's status says what happened and `url` is null. Throws PixelTemplateError for a
 * template without a macro (checked before anything is encrypted).
 */
export function tryCreativePixelUrl(template: string, rawUid2: string, client: RawUidEncrypter): PixelUrlResult {
  if (!hasMacro(template)) throw new PixelTemplateError();
  let encrypted: EncryptionResult;
  try {
    encrypted = client.encrypt(rawUid2);
  } catch {
    encrypted = { status: 'EncryptionFailure', token: null };
  }
  if (encrypted.status !== 'Success' || encrypted.token === null) {
    return { status: encrypted.status === 'Success' ? 'EncryptionFailure' : encrypted.status, url: null };
  }
  return { status: 'Success', url: fill(template, encrypted.token) };
}

/**
 * Fills the template's token macros with a sharing token for `rawUid2` and returns the URL. Throws
 * PixelTemplateError (no macro) or PixelTokenError (encryption failed; `error.status` says why).
 */
export function creativePixelUrl(template: string, rawUid2: string, client: RawUidEncrypter): string {
  const result = tryCreativePixelUrl(template, rawUid2, client);
  if (result.url === null) throw new PixelTokenError(result.status as Exclude<EncryptionStatus, 'Success'>);
  return result.url;
}
