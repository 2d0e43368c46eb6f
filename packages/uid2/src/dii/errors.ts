// The one error the DII module throws. Messages never contain the email, phone or hash itself.

export class InvalidDiiError extends Error {
  readonly code = 'INVALID_DII';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDiiError';
  }
}
