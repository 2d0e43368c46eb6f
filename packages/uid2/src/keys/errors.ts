import { Uid2Error } from '../errors.ts';

/** A /v2/key/sharing or /v2/key/bidstream body that does not have the expected shape. */
export class KeysParseError extends Uid2Error {
  declare readonly code: 'invalid-keys';
  /** Where the first problem is, e.g. "keys[3].secret" (never the secret itself). */
  readonly path: string;
  constructor(path: string, message: string) {
    super('invalid-keys', path ? `invalid keys response at ${path}: ${message}` : `invalid keys response: ${message}`);
    this.path = path;
  }
}
