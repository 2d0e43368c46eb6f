import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost, listen, urlHost } from '../src/internal/listen.ts';

const servers: Server[] = [];
const server = () => {
  const s = createServer((_req, res) => res.end('here'));
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))));
});

describe('listen (internal: the apps bind through it)', () => {
  it('resolves with the bound port once it answers there (port 0: any free port)', async () => {
    const port = await listen(server(), 0, '127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('here');
  });

  it('a taken port rejects with what explain makes of EADDRINUSE, or the error itself', async () => {
    const port = await listen(server(), 0, '127.0.0.1');
    const seen: string[] = [];
    const explained = listen(server(), port, '127.0.0.1', (error) => {
      seen.push(String(error.code));
      return new Error(`port ${port} is taken`);
    });
    await expect(explained).rejects.toThrow(`port ${port} is taken`);
    expect(seen).toEqual(['EADDRINUSE']);
    await expect(listen(server(), port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(listen(server(), port, '127.0.0.1', () => undefined)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('an address this machine does not have rejects with EADDRNOTAVAIL', async () => {
    await expect(listen(server(), 0, '192.0.2.1')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });
});

describe('isLoopbackHost, urlHost', () => {
  it('names the loopback interface only', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.2', 'shop.example']) expect(isLoopbackHost(host)).toBe(false);
  });
  it('puts an IPv6 address in brackets', () => {
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
    expect(urlHost('localhost')).toBe('localhost');
  });
});
