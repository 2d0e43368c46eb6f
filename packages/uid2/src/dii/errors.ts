// The one error the DII module throws. Messages never contain the email, phone or hash itself.
import { Uid2Error } from '../errors.ts';

export class InvalidDiiError extends Uid2Error {
  constructor(message: string) {
    super('invalid-dii', message);
  }
}
