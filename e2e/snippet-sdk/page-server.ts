// The site of the snippet-sdk spec: the official guide's page, a bare page, a page with nothing but
// the script (plain.html), our snippet under the
// official SDK's file name, and /config.js with the operator address and CSTG credentials. It listens
// on 127.0.0.1; the browser opens it as http://localhost:<port> or http://<name>.shop.localhost:<port>
// (Chromium resolves *.localhost to the loopback address; the operator accepts those origins).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SdkSite {
  port: number;
  close(): Promise<void>;
}

export async function startSdkSite(files: { snippet: string; dir: string }, config: Record<string, unknown>): Promise<SdkSite> {
  const js = 'text/javascript; charset=utf-8';
  const html = 'text/html; charset=utf-8';
  const assets = new Map<string, { type: string; body: string | Buffer }>([
    ['/official.html', { type: html, body: readFileSync(`${files.dir}/official.html`) }],
    ['/tab.html', { type: html, body: readFileSync(`${files.dir}/tab.html`) }],
    ['/plain.html', { type: html, body: readFileSync(`${files.dir}/plain.html`) }],
    ['/uid2-sdk.js', { type: js, body: readFileSync(files.snippet) }],
    ['/config.js', { type: js, body: `window.CONFIG = ${JSON.stringify(config)};` }],
  ]);
  const server = createServer((req, res) => {
    const asset = assets.get(new URL(req.url ?? '/', 'http://localhost').pathname);
    res.writeHead(asset ? 200 : 404, { 'Content-Type': asset?.type ?? 'text/plain', 'Cache-Control': 'no-store' });
    res.end(asset?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
