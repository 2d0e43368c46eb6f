// Typed errors of the collector. Every error a caller may branch on carries a stable `code`.

export class CollectorError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CollectorError';
    this.code = code;
  }
}

/** The configuration (file, env or flags) is invalid. `field` names the offending setting. */
export class ConfigError extends CollectorError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('CONFIG_INVALID', `config: ${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

/** The segment store could not make an event durable, or is closed. */
export class StoreError extends CollectorError {
  constructor(code: 'STORE_WRITE_FAILED' | 'STORE_CLOSED' | 'STORE_CORRUPT' | 'STORE_UNAVAILABLE', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** The port to listen on is taken (by another collector, say). */
export class PortInUseError extends CollectorError {
  constructor(readonly host: string, readonly port: number, options?: { cause?: unknown }) {
    super('PORT_IN_USE', `port ${port} on ${host} is already in use (another collector still running?): choose another with --port <n> or COLLECTOR_PORT, or stop what holds it`, options);
    this.name = 'PortInUseError';
  }
}

/** A command-line usage error (unknown flag, missing argument). */
export class UsageError extends CollectorError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}
