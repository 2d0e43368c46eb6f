// `pnpm bench transport`: what one operator request costs the caller's CPU through the SDK's transport
// (node:http with kept-alive connections) against the same request through the global fetch (undici),
// the SDK's `fetch` option. A receiver asks the operator about opt-outs for every batch it takes in, so
// this cost is on its hot path. The server runs in a child process (it answers 60 bytes, as an opt-out
// answer with nobody opted out roughly does), so only the client's work is in this process's CPU time.
// Bodies of 50 kB (1,000 raw UID2s, a file chunk) and 250 kB (5,000, a bulk API batch); 4 requests in
// flight; the two transports alternate over BENCH_ROUNDS (default 5) rounds of 400 requests, after a
// warm-up of each; the table gives the median per-round CPU per request and the median ratio.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { postText } from '../packages/uid2/src/clients/operator-http.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = 400;
const IN_FLIGHT = 4;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const SERVER = `
  const http = require('node:http');
  const answer = Buffer.alloc(60);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(answer); });
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const base = { baseUrl: `http://127.0.0.1:${port}`, apiKey: 'bench', secret: 'bench' };
    const transports = {
      'node:http (default)': base,
      'global fetch': { ...base, fetch: globalThis.fetch },
    };
    /** CPU µs of this process per request, `REQUESTS` requests with `IN_FLIGHT` at once. */
    const measure = async (options: typeof base, body: Uint8Array, count = REQUESTS) => {
      let next = 0;
      const c0 = process.cpuUsage();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next++ < count) {
            const reply = await postText(options, '/v2/optout/status', body);
            if (reply.status !== 200 || reply.body.length !== 60) throw new Error(`answer ${reply.status}`);
          }
        }),
      );
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / count;
    };
    console.log(`${REQUESTS} requests per transport, size and round, ${IN_FLIGHT} in flight, ${ROUNDS} rounds`);
    console.log('\n| body | transport | CPU µs per request (median round) | vs global fetch (median per-round ratio) |\n|---|---|---|---|');
    for (const size of [50_000, 250_000]) {
      const body = new Uint8Array(size).fill(65);
      for (const options of Object.values(transports)) await measure(options, body, 200); // warm-up
      const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(transports).map((k) => [k, []]));
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, options] of Object.entries(transports)) cpu[name]!.push(await measure(options, body));
        ratios.push(cpu['node:http (default)']!.at(-1)! / cpu['global fetch']!.at(-1)!);
      }
      for (const name of Object.keys(transports)) {
        const ratio = name === 'global fetch' ? '100 %' : `${Math.round(median(ratios) * 100)} %`;
        console.log(`| ${size / 1000} kB | ${name} | ${Math.round(median(cpu[name]!))} | ${ratio} |`);
      }
    }
  } finally {
    child.kill();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
