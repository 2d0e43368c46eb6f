// The common base of every typed error the library throws. Callers switch on `code` (stable,
// machine-readable) rather than on messages or classes; messages never contain tokens, UIDs or secrets.

export class Uid2Error extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
