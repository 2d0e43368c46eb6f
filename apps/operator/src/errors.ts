// Typed errors of the operator. Each has a stable `code` so callers and tests branch on codes, not messages.

export type OperatorErrorCode =
  | 'BAD_FIXTURE'
  | 'BAD_STATE'
  | 'BAD_CONFIG'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'NO_ACTIVE_KEY'
  | 'PORT_IN_USE';

export class OperatorError extends Error {
  readonly code: OperatorErrorCode;
  constructor(code: OperatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
    this.code = code;
  }
}
