// A small closed-loop HTTP/1.1 load generator over raw keep-alive sockets: each connection sends one
// request, waits for the whole response, records its latency, and sends the next. Raw sockets instead
// of the node:http client, because on 2 cores the generator shares the machine with the server and
// node:http's client costs more per request than the server under test; this one parses only the
// status line and Content-Length. Used by the durability tests and bench/collector.bench.ts.
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  /** Stop sending after this long (ms) ... */
  durationMs?: number;
  /** ... or after this many requests in total, whichever comes first. */
  requests?: number;
  /** Path (with query) of request number i. */
  path: (i: number) => string;
  method?: 'GET' | 'POST';
  /** Called for every complete response, with its latency (send to last byte). */
  onResponse?: (i: number, status: number, ms: number) => void;
  /** Stop early when this resolves (e.g. the test kills the server). */
  stop?: Promise<unknown>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<number, number>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function contentLength(head: string): number {
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return m ? Number(m[1]) : 0;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const method = o.method ?? 'GET';
  const hostHeader = `${o.host}:${o.port}`;
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  let errors = 0;
  let stopped = false;
  const started = performance.now();
  const deadline = o.durationMs === undefined ? Infinity : started + o.durationMs;
  const limit = o.requests ?? Infinity;
  void o.stop?.then(() => (stopped = true));

  const runConnection = () =>
    new Promise<void>((resolve) => {
      const socket: Socket = connect({ host: o.host, port: o.port, noDelay: true });
      let buf: Buffer = Buffer.alloc(0);
      let current = -1;
      let sentAt = 0;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        socket.destroy();
        resolve();
      };
      const send = () => {
        if (stopped || next >= limit || performance.now() >= deadline) return finish();
        current = next++;
        sentAt = performance.now();
        const extra = method === 'POST' ? 'Content-Length: 0\r\n' : '';
        socket.write(`${method} ${o.path(current)} HTTP/1.1\r\nHost: ${hostHeader}\r\n${extra}\r\n`);
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          const end = buf.indexOf(HEADER_END);
          if (end === -1) return;
          const head = buf.toString('latin1', 0, end);
          const total = end + 4 + contentLength(head);
          if (buf.length < total) return;
          const status = Number(head.slice(9, 12));
          buf = buf.subarray(total);
          const ms = performance.now() - sentAt;
          latencies.push(ms);
          statuses[status] = (statuses[status] ?? 0) + 1;
          o.onResponse?.(current, status, ms);
          current = -1;
          if (/\r\nconnection:\s*close/i.test(head)) return finish();
          send();
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        if (current !== -1) errors++;
        finish();
      });
    });

  await Promise.all(Array.from({ length: o.connections }, runConnection));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : 0);
  return {
    requests: latencies.length,
    errors,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: latencies.length ? latencies[latencies.length - 1]! : 0,
    statuses,
  };
}
