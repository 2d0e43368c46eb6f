// A tiny operator stand-in for the faults a real operator cannot be made to produce on demand: 500s,
// answers that fail the MAC, answers echoing another nonce, dropped connections, slow answers.
// It speaks the v2 envelope itself, written from operator-api.md §1 with node:crypto only (not with the
// codec under test), so a framing bug in the library cannot hide behind the same bug here.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | 'none'
  /** 500 with the plain text body of an unhandled operator failure. */
  | 'http-500'
  /** 401 {"status":"unauthorized"} */
  | 'unauthorized'
  /** 400 {"status": "<status>", "message": ...} — see `clientErrorStatus`. */
  | 'client-error'
  /** 200, but encrypted under another secret. */
  | 'bad-mac'
  /** 200, correctly encrypted, but echoing a different nonce. */
  | 'nonce-mismatch'
  /** 200 with an envelope whose JSON has an unexpected status. */
  | 'status-error'
  /** Connection destroyed without an answer. */
  | 'reset'
  /** Answer held back for 2 s (for timeouts). */
  | 'slow';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** For enveloped requests: what was inside. */
  envelope?: { version: number; timestamp: number; nonce: Buffer; payload: unknown };
}

export type Handler = (path: string, payload: unknown, body: string) => RouteAnswer;

export type RouteAnswer =
  /** Answer through the v2 envelope. */
  | { kind: 'envelope'; json: object }
  /** Answer a refresh: AES-GCM of the JSON under `key` (base64), no envelope. */
  | { kind: 'refresh'; key: string; json: object }
  /** Plain HTTP answer. */
  | { kind: 'plain'; status: number; json: object };

export interface FaultOperator {
  url: string;
  received: ReceivedRequest[];
  /** Faults to apply to the next requests, one per request, in order; afterwards 'none'. */
  queueFaults(...faults: Fault[]): void;
  /** Status used by the 'client-error' fault. */
  clientErrorStatus: { status: string; message: string };
  close(): Promise<void>;
}

function gcmEncrypt(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]);
}

function gcmDecrypt(key: Buffer, data: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
}

export function openTestEnvelope(secretB64: string, body: string): NonNullable<ReceivedRequest['envelope']> {
  const bytes = Buffer.from(body, 'base64');
  const plain = gcmDecrypt(Buffer.from(secretB64, 'base64'), bytes.subarray(1));
  const json = plain.subarray(16);
  return {
    version: bytes[0]!,
    timestamp: Number(plain.readBigInt64BE(0)),
    nonce: Buffer.from(plain.subarray(8, 16)),
    payload: json.length === 0 ? undefined : JSON.parse(json.toString('utf8')),
  };
}

export function sealTestResponse(secretB64: string, nonce: Buffer, json: object): string {
  const header = Buffer.alloc(16);
  header.writeBigInt64BE(BigInt(Date.now()), 0);
  nonce.copy(header, 8);
  const plain = Buffer.concat([header, Buffer.from(JSON.stringify(json), 'utf8')]);
  return gcmEncrypt(Buffer.from(secretB64, 'base64'), plain).toString('base64');
}

export function sealTestRefreshResponse(keyB64: string, json: object): string {
  return gcmEncrypt(Buffer.from(keyB64, 'base64'), Buffer.from(JSON.stringify(json), 'utf8')).toString('base64');
}

export async function startFaultOperator(secret: string, handler: Handler): Promise<FaultOperator> {
  const received: ReceivedRequest[] = [];
  const faults: Fault[] = [];
  const operator: Partial<FaultOperator> = {
    received,
    queueFaults: (...more) => void faults.push(...more),
    clientErrorStatus: { status: 'client_error', message: 'Invalid Identifier' },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The binary envelope (application/octet-stream) is recorded as its base64 text, as the text one is sent.
      const binary = (req.headers['content-type'] ?? '').startsWith('application/octet-stream');
      const body = binary ? Buffer.concat(chunks).toString('base64') : Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const record: ReceivedRequest = { path, headers: req.headers, body };
      received.push(record);
      const fault = faults.shift() ?? 'none';

      if (fault === 'reset') return void req.socket.destroy();
      if (fault === 'http-500') return void res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error');
      if (fault === 'unauthorized') {
        return void res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"status":"unauthorized"}');
      }
      if (fault === 'client-error') {
        return void res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify(operator.clientErrorStatus));
      }

      const isRefresh = path === '/v2/token/refresh';
      let nonce: Buffer = Buffer.alloc(8);
      let payload: unknown;
      if (!isRefresh) {
        record.envelope = openTestEnvelope(secret, body);
        nonce = record.envelope.nonce;
        payload = record.envelope.payload;
      }
      const answer = handler(path, payload, body);
      const send = (text: string, status = 200, type = 'text/plain'): void => {
        const write = (): void => void res.writeHead(status, { 'Content-Type': type }).end(text);
        if (fault === 'slow') setTimeout(write, 2000).unref();
        else write();
      };
      if (answer.kind === 'plain') return send(JSON.stringify(answer.json), answer.status, 'application/json');
      if (answer.kind === 'refresh') return send(sealTestRefreshResponse(answer.key, answer.json));

      let json = answer.json;
      let key = secret;
      if (fault === 'bad-mac') key = randomBytes(32).toString('base64');
      if (fault === 'nonce-mismatch') nonce = Buffer.from(nonce.map((b) => b ^ 0xff));
      if (fault === 'status-error') json = { status: 'unknown' };
      const sealed = sealTestResponse(key, nonce, json);
      if (binary) {
        const bytes = Buffer.from(sealed, 'base64');
        const write = (): void => void res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(bytes);
        if (fault === 'slow') setTimeout(write, 2000).unref();
        else write();
        return;
      }
      send(sealed);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  operator.url = `http://127.0.0.1:${port}`;
  operator.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return operator as FaultOperator;
}
