// The operator transport (node:http with kept-alive connections) against real HTTP servers that do what
// an operator or a load balancer in front of one can do: answer in pieces, keep or close idle
// connections, drop a connection mid-answer, stop sending. And the injected fetch, which replaces it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Uid2NetworkError } from '../../src/clients/errors.ts';
import { postText } from '../../src/clients/operator-http.ts';

const SECRET = randomBytes(32).toString('base64');
const API_KEY = 'UID2-C-L-104-abcdef.' + 'k'.repeat(38);

interface TestServer {
  url: string;
  server: Server;
  /** Connections the server accepted so far. */
  connections: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  const sockets = new Set<Socket>();
  const s: TestServer = {
    url: '',
    server,
    connections: 0,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket: Socket) => {
    s.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(s);
  return s;
}

const caught = (p: Promise<unknown>) => p.then(() => new Error('expected a rejection'), (e: unknown) => e as Error);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('the operator transport', () => {
  it('sends the body with its length and the operator headers, and reads an answer sent in pieces', async () => {
    let seen: { headers: IncomingMessage['headers']; body: Buffer } | null = null;
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen = { headers: req.headers, body: Buffer.concat(parts) };
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(70_000, 1));
        setTimeout(() => res.end(Buffer.alloc(30_000, 2)), 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = randomBytes(250_000);
      const reply = await postText({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: API_KEY, secret: SECRET }, '/v2/optout/status', body);
      expect(reply.status).toBe(200);
      expect(reply.contentType).toBe('application/octet-stream');
      expect(reply.body.length).toBe(100_000);
      expect(reply.body[0]).toBe(1);
      expect(reply.body[99_999]).toBe(2);
      expect(seen!.body.equals(body)).toBe(true);
      expect(seen!.headers['content-length']).toBe('250000');
      expect(seen!.headers['content-type']).toBe('application/octet-stream');
      expect(seen!.headers['authorization']).toBe(`Bearer ${API_KEY}`);
      expect(seen!.headers['x-uid2-client-version']).toMatch(/^uid2-pixels-ts-/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps one connection alive across requests', async () => {
    const server = await serve((_req, res) => res.end('{}'));
    for (let i = 0; i < 5; i++) await postText({ baseUrl: server.url, apiKey: API_KEY, secret: SECRET }, '/x', 'body');
    expect(server.connections).toBe(1);
  });

  it('opens a new connection when the server closed the idle one', async () => {
    const server = await serve((_req, res) => res.end('{}'));
    server.server.keepAliveTimeout = 50; // Node announces Keep-Alive: timeout=0: the client may not reuse it
    const options = { baseUrl: server.url, apiKey: API_KEY, secret: SECRET };
    expect((await postText(options, '/x', 'a')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect((await postText(options, '/x', 'b')).status).toBe(200);
    expect(server.connections).toBe(2);

    // A server that closes idle connections without announcing it (a load balancer): the client sees
    // the close and does not send on the dead socket.
    const silent = await serve((req, res) => {
      res.end('{}', () => setTimeout(() => req.socket.destroy(), 20));
    });
    const quiet = { baseUrl: silent.url, apiKey: API_KEY, secret: SECRET };
    expect((await postText(quiet, '/x', 'a')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect((await postText(quiet, '/x', 'b')).status).toBe(200);
    expect(silent.connections).toBe(2);
  });

  it('reports a connection dropped mid-answer and an answer that stops as Uid2NetworkError', async () => {
    const dropping = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      res.write(Buffer.alloc(400));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const dropped = await caught(postText({ baseUrl: dropping.url, apiKey: API_KEY, secret: SECRET }, '/v2/optout/status', 'x'));
    expect(dropped).toBeInstanceOf(Uid2NetworkError);
    expect(dropped.message).toMatch(/^POST \/v2\/optout\/status failed: operator unreachable \(ECONNRESET\)/);

    // Headers, then nothing: the timeout covers the body too.
    const stalling = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      res.write(Buffer.alloc(10));
    });
    const stalled = await caught(postText({ baseUrl: stalling.url, apiKey: API_KEY, secret: SECRET, timeoutMs: 300 }, '/v2/optout/status', 'x'));
    expect(stalled).toBeInstanceOf(Uid2NetworkError);
    expect(stalled.message).toContain('did not answer in time');
  });

  it('speaks TLS to an https base URL', async () => {
    // A plain HTTP server behind an https URL: the TLS handshake fails, which only an https request does.
    const server = await serve((_req, res) => res.end('{}'));
    const error = await caught(postText({ baseUrl: server.url.replace('http:', 'https:'), apiKey: API_KEY, secret: SECRET }, '/x', 'a'));
    expect(error).toBeInstanceOf(Uid2NetworkError);
    expect(error.message).toMatch(/operator unreachable \((EPROTO|ERR_SSL_[A-Z_]+|ECONNRESET)\)/);
  });

  it('uses the fetch given in the options instead', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(418, { 'content-type': 'application/json' });
      res.end('{"status":"teapot","message":"short and stout"}');
    });
    const urls: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const reply = await postText({ baseUrl: server.url, apiKey: API_KEY, secret: SECRET, fetch: fetchSpy }, '/x', 'a');
    expect(urls).toEqual([`${server.url}/x`]);
    expect(reply.status).toBe(418);
    expect(reply.contentType).toBe('application/json');
    expect(new TextDecoder().decode(reply.body)).toContain('short and stout');
  });

  it('never keeps a process alive: idle connections are unref\'d', async () => {
    const server = await serve((_req, res) => res.end('{}'));
    server.server.keepAliveTimeout = 60_000;
    // A child process makes one request and then lists what still keeps it alive.
    const module = fileURLToPath(new URL('../../src/clients/operator-http.ts', import.meta.url));
    const script = `
      const { postText } = await import(${JSON.stringify(module)});
      const reply = await postText({ baseUrl: ${JSON.stringify(server.url)}, apiKey: 'k', secret: 's' }, '/x', 'a');
      await new Promise((r) => setImmediate(r));
      console.log(JSON.stringify({ status: reply.status, alive: process.getActiveResourcesInfo() }));`;
    // Asynchronously: the server answering it runs in this process.
    const child = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { status: number; alive: string[] };
    expect(out.status).toBe(200);
    expect(out.alive.filter((r) => r.startsWith('TCP'))).toEqual([]);
    expect(server.connections).toBe(1);
  });
});
