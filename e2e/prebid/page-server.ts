// The publisher site of the Prebid spec: page.html, the Prebid bundle and our snippet, plus a pixel
// endpoint (/conv) that records what it is sent. It listens on 127.0.0.1 and the browser opens it as
// http://localhost:<port>: the operator accepts a `localhost` origin for site 103 and refuses IP origins.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PageServer {
  /** http://localhost:<port> */
  url: string;
  /** Every /conv request path (with its query), in arrival order. */
  pixels: string[];
  close(): Promise<void>;
}

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export async function startPageServer(files: { page: string; prebid: string; snippet: string }): Promise<PageServer> {
  const assets = new Map<string, { type: string; body: Buffer }>([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(files.page) }],
    ['/prebid.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(files.prebid) }],
    ['/uid2-pixel.iife.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(files.snippet) }],
  ]);
  const pixels: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/conv') {
      pixels.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store' });
      res.end(GIF);
      return;
    }
    const asset = assets.get(path);
    res.writeHead(asset ? 200 : 404, { 'Content-Type': asset?.type ?? 'text/plain', 'Cache-Control': 'no-store' });
    res.end(asset?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    pixels,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the browser's keep-alive sockets would hold close() open
      }),
  };
}
