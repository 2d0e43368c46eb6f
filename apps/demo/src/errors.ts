// Typed errors of the demo sites: a code a caller can branch on, a message a newcomer can act on.
export type DemoErrorCode = 'BAD_CONFIG' | 'BAD_FIXTURE' | 'SNIPPET_MISSING' | 'BAD_BID_REQUEST' | 'PORT_IN_USE';

export class DemoError extends Error {
  readonly code: DemoErrorCode;
  constructor(code: DemoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DemoError';
    this.code = code;
  }
}
