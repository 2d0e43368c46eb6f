// Why an envelope could not be opened. One code per distinct operator 400 message (server side) or
// per distinct client failure, so the operator can map codes to the real operator's exact strings.
import { Uid2Error } from '../errors.ts';

export type EnvelopeErrorCode =
  /** Request body absent or empty ("Invalid body: Body is missing."). */
  | 'body-missing'
  /** Body text is not base64 ("Invalid body: Body is not valid base64."). */
  | 'bad-base64'
  /** Body text is plain JSON, i.e. the client forgot to encrypt (the operator has a message for that). */
  | 'unencrypted-json'
  /** Fewer bytes than the smallest possible envelope ("Invalid body: Body too short. Check encryption method."). */
  | 'too-short'
  /** First byte is not 1 ("Invalid body: Invalid request envelope format version: received N, must be 1."). */
  | 'bad-version'
  /** AES-GCM tag check failed: wrong secret or altered bytes ("Invalid body: Check encryption key (ClientSecret)."). */
  | 'mac'
  /** Request timestamp outside the operator's window ("Invalid timestamp: Request too old or client time drift."). */
  | 'timestamp'
  /** Inner data present but not a JSON object ("Invalid payload in body: Data is not valid json string."). */
  | 'bad-json'
  /** Client side: the response does not echo the nonce we sent. */
  | 'nonce-mismatch'
  /** Programming error: the client secret is not 32 bytes. */
  | 'bad-secret';

export class EnvelopeError extends Uid2Error {
  declare readonly code: EnvelopeErrorCode;
  /** For 'bad-version': the version byte received (the operator quotes it in its message). */
  readonly receivedVersion: number | undefined;
  constructor(code: EnvelopeErrorCode, message: string, receivedVersion?: number) {
    super(code, message);
    this.receivedVersion = receivedVersion;
  }
}
