// Errors of the operator clients. Each says which route failed and how (HTTP status, operator status,
// network, malformed answer). None carries an API key, secret, token, raw UID2 or DII in its message.
// EnvelopeError (the answer failed the MAC, or echoed another nonce) comes from the codec.
import { Uid2Error } from '../errors.ts';

export { EnvelopeError } from '../envelope/index.ts';

/** The operator answered with a non-200 status. */
export class Uid2HttpError extends Uid2Error {
  /** The route, e.g. `/v2/token/generate`. */
  readonly path: string;
  /** HTTP status code. */
  readonly httpStatus: number;
  /** The operator's `status` string (`client_error`, `unauthorized`, ...), when the body had one. */
  readonly operatorStatus: string | null;
  /**
   * The operator's `message`, when the body had one. Kept out of `message` because it is the
   * server's text, not ours; UID2 operators put no secrets in it, but logs should decide.
   */
  readonly operatorMessage: string | null;

  constructor(path: string, httpStatus: number, operatorStatus: string | null, operatorMessage: string | null) {
    super(
      'http-error',
      `POST ${path} failed: HTTP ${httpStatus}${operatorStatus === null ? '' : ` (${operatorStatus})`}${explain(path, httpStatus)}`,
    );
    this.path = path;
    this.httpStatus = httpStatus;
    this.operatorStatus = operatorStatus;
    this.operatorMessage = operatorMessage;
  }
}

/** The request never got an answer: connection refused, DNS, reset, or the timeout fired. */
export class Uid2NetworkError extends Uid2Error {
  readonly path: string;

  /** `baseUrl`, when given, is named in the message (without any user:password part). */
  constructor(path: string, cause: unknown, baseUrl?: string) {
    super('network-error', `POST ${path} failed: ${describeNetworkFailure(cause)}${baseUrl === undefined ? '' : whereToLook(baseUrl)}`, { cause });
    this.path = path;
  }
}

/** The operator answered 200, the answer opened, but its content is not what the route returns. */
export class Uid2ResponseError extends Uid2Error {
  readonly path: string;

  constructor(path: string, what: string) {
    super('bad-response', `POST ${path}: unexpected answer: ${what}`);
    this.path = path;
  }
}

/**
 * The roles a participant's API key needs for each route (the operator's route table, spec §1.5). The
 * operator's 401 says only `unauthorized`; naming the role is what lets a reader fix it.
 */
const ROUTE_ROLES: Readonly<Record<string, readonly string[]>> = {
  '/v2/token/generate': ['GENERATOR'],
  '/v2/token/validate': ['GENERATOR'],
  '/v2/token/logout': ['OPTOUT'],
  '/v2/key/sharing': ['SHARER', 'ID_READER'],
  '/v2/key/bidstream': ['ID_READER'],
  '/v2/identity/map': ['MAPPER'],
  '/v3/identity/map': ['MAPPER'],
  '/v2/identity/buckets': ['MAPPER'],
  '/v2/optout/status': ['MAPPER', 'SHARER', 'ID_READER'],
};

/** What a 401 means and what to do about it. Nothing else gets an explanation: the status says it. */
function explain(path: string, httpStatus: number): string {
  if (httpStatus !== 401) return '';
  const roles = ROUTE_ROLES[path];
  const role = roles ? `, or its participant lacks the role ${path} needs (${roles.join(' or ')}; grant it in the portal)` : '';
  return `: the operator did not accept the API key: it is unknown or disabled${role}`;
}

function describeNetworkFailure(cause: unknown): string {
  if (cause instanceof Error) {
    if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return 'operator did not answer in time';
    // node:http rejects with the system error (ECONNREFUSED, ENOTFOUND, ...); fetch puts it in `cause`.
    // A host with several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError of them.
    type Coded = { code?: unknown; errors?: Array<{ code?: unknown }> } | undefined;
    const codeOf = (e: Coded) => e?.code ?? e?.errors?.[0]?.code;
    const code = codeOf(cause.cause as Coded) ?? codeOf(cause as Coded);
    if (typeof code === 'string') return `operator unreachable (${code})`;
  }
  return 'operator unreachable';
}

function whereToLook(baseUrl: string): string {
  let shown = baseUrl;
  try {
    const url = new URL(baseUrl);
    shown = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    // checkBaseUrl let it through, so it parses; keep the text as given otherwise.
  }
  return ` at ${shown}: check that the operator runs there and that the base URL is right`;
}
