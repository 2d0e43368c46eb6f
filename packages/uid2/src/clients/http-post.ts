// One POST to an operator over node:http / node:https, on kept-alive connections.
//
// Why not the global fetch: a receiver asks the operator about opt-outs for every batch it takes in, so
// the client side of each call is on its hot path. `pnpm bench transport` (bench/transport.bench.ts):
// a 50 kB POST costs the caller about a third of the CPU it costs through undici's fetch, a 250 kB one
// about a sixth. fetch stays available: a `fetch` in the client options is used instead
// (operator-http.ts).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An operator's answer, read whole. */
export interface OperatorReply {
  status: number;
  /** The Content-Type header, '' when absent. */
  contentType: string;
  body: Uint8Array;
}

/**
 * Idle connections are closed after this long (undici's default too), before a server or load balancer
 * drops them under a request. A server that announces a shorter `Keep-Alive: timeout` is believed.
 * Idle sockets are unref'd by the agent: they never keep a process alive.
 */
const IDLE_SOCKET_MS = 4_000;

const agents = {
  http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

/**
 * POSTs `body` to `url` and resolves with the whole answer, whatever its status. Rejects with the
 * system error (ECONNREFUSED, ECONNRESET, ...) when the connection fails or drops before the answer is
 * complete, and with an AbortError (its cause a TimeoutError) when the whole exchange, the answer's
 * body included, takes longer than `timeoutMs`.
 */
export function postOverHttp(url: string, headers: Record<string, string>, body: Uint8Array, timeoutMs: number): Promise<OperatorReply> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const onResponse = (res: IncomingMessage): void => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: parts.length === 1 ? parts[0]! : Buffer.concat(parts, size),
        });
      });
      res.on('error', reject);
      // A connection closed mid-answer: 'end' never comes (a settled promise ignores this).
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('connection closed before the answer was complete'), { code: 'ECONNRESET' }));
      });
    };
    const options = {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { ...headers, 'Content-Length': String(body.byteLength) },
      signal: AbortSignal.timeout(timeoutMs),
    };
    const req = secure ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
    req.on('error', reject);
    req.end(body);
  });
}
