// A pixel endpoint for the browser tests (Node side): it records every request it gets (method, URL,
// body) and answers a 1x1 GIF. Browser tests read the record through GET /__hits. /__hang/* never
// answers (an operator that hangs: a fault the real operator cannot be made to produce on demand).
// Extra routes (the operator-side checks) are mounted under /__check/.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface Hit {
  method: string;
  url: string;
  body: string;
}

export type CheckHandler = (body: unknown) => Promise<unknown>;

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export async function startSink(checks: Record<string, CheckHandler> = {}) {
  const hits: Hit[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    const url = req.url ?? '/';
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (url === '/__hits') {
      res.setHeader('Content-Type', 'application/json');
      return void res.end(JSON.stringify(hits));
    }
    const body = await readBody(req);
    if (url.startsWith('/__hang')) {
      hanging.add(res);
      return;
    }
    const check = url.startsWith('/__check/') ? checks[url.slice('/__check/'.length)] : undefined;
    if (check) {
      try {
        const answer = await check(JSON.parse(body));
        res.setHeader('Content-Type', 'application/json');
        return void res.end(JSON.stringify(answer ?? null));
      } catch (error) {
        return void res.writeHead(500).end(String(error));
      }
    }
    hits.push({ method: req.method ?? 'GET', url, body });
    res.writeHead(200, { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store' }).end(GIF);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
