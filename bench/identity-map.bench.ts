// `pnpm bench identity-map`: one 5,000-identifier POST /v3/identity/map (the most a request should carry)
// against the real operator over loopback HTTP, against a baseline measured in the same process in
// alternating rounds: the bare node:crypto work the operator cannot avoid for the same identifiers (two
// one-shot SHA-256 per identifier, first-level hash and raw UID2, with their base64). The ratio says how much HTTP,
// the envelope, JSON, validation, opt-out checks and the client add on top of that. Target (issue): a
// 5,000-identifier request is answered in well under a second.
import { createHash, hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOperator } from '../apps/operator/src/index.ts';
import { IdentityMapV3Client, IdentityMapV3Input, postEnveloped } from '../packages/uid2/src/clients/index.ts';
import { sealRequest } from '../packages/uid2/src/envelope/index.ts';

const IDENTIFIERS = 5000;
const ROUNDS = 21;
const WARMUP = 3;

const dataDir = mkdtempSync(join(tmpdir(), 'bench-identity-map-'));
const operator = await startOperator({ dataDir, saltRotation: { intervalMs: 0 } });
const mapper = operator.fixture.participants.find((p) => p.siteId === 107)!;
const credentials = { baseUrl: operator.url, apiKey: mapper.apiKey, secret: mapper.secret };
const client = new IdentityMapV3Client(credentials);

const emails = Array.from({ length: IDENTIFIERS }, (_, i) => `bench.user${i}@example.com`);
const hashedInput = IdentityMapV3Input.fromEmails(emails); // hashed once, outside the timing
const firstLevelSalt = randomBytes(32).toString('base64');
const bucketSalt = randomBytes(32).toString('base64');
const hashes = emails.map((e) => createHash('sha256').update(e).digest());

/** The unavoidable crypto of a mapping: FLH = SHA-256(b64(hash) || salt), raw = SHA-256(b64(FLH) || salt). */
function bareMapping(): number {
  let n = 0;
  for (const h of hashes) {
    const flh = hash('sha256', h.toString('base64') + firstLevelSalt, 'buffer');
    n += hash('sha256', flh.toString('base64') + bucketSalt, 'base64').length;
  }
  return n;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const cases: Array<[string, () => Promise<unknown>]> = [
  ['IdentityMapV3Client, 5,000 email hashes (binary envelope)', async () => {
    const r = await client.generateIdentityMap(hashedInput);
    if (r.mappedIdentities.size !== IDENTIFIERS) throw new Error(`mapped ${r.mappedIdentities.size}`);
  }],
  ['postEnveloped, 5,000 raw emails (operator normalises + hashes)', async () => {
    const r = (await postEnveloped(credentials, '/v3/identity/map', { email: emails })).body as { email: unknown[] };
    if (r.email.length !== IDENTIFIERS) throw new Error('short answer');
  }],
];

/**
 * Other callers while a MAPPER sends the largest request the size limit allows (40,000 emails, binary
 * envelope, just under 1 MiB): health-check latencies during it, against idle health checks (the baseline).
 */
async function otherCallers(): Promise<{ idleP99: number; busyP99: number; busyMax: number; bigMs: number }> {
  const health = () => timed(async () => (await fetch(`${operator.url}/ops/healthcheck`)).text());
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) idle.push(await health());
  // Sealed up front and sent as raw bytes, its answer not opened: the client's own work stays out of the
  // event loop the operator shares with it in this process.
  const big = sealRequest({ email: Array.from({ length: 40_000 }, (_, i) => `big${i}@example.com`) }, mapper.secret, { now: Date.now() });
  const busy: number[] = [];
  let done = false;
  const bigMs = timed(async () => {
    const res = await fetch(`${operator.url}/v3/identity/map`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${mapper.apiKey}`, 'Content-Type': 'application/octet-stream' },
      body: big.envelope as BodyInit,
    });
    if (res.status !== 200) throw new Error(`big request: HTTP ${res.status}`);
    await res.arrayBuffer();
    done = true;
  });
  while (!done) busy.push(await health());
  const p99 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.99))]!;
  return { idleP99: p99(idle), busyP99: p99(busy), busyMax: Math.max(...busy), bigMs: await bigMs };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const p90 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.9)]!;
const rows: Array<{ name: string; ms: number; p90: number; base: number; ratio: number }> = [];
let others: Awaited<ReturnType<typeof otherCallers>>;
try {
  for (const [name, run] of cases) {
    const ms: number[] = [];
    const base: number[] = [];
    const ratios: number[] = [];
    for (let r = -WARMUP; r < ROUNDS; r++) {
      // Alternate the order so both sides see the same machine.
      let a: number;
      let b: number;
      if (r % 2 === 0) {
        a = await timed(run);
        b = await timed(bareMapping);
      } else {
        b = await timed(bareMapping);
        a = await timed(run);
      }
      if (r >= 0) {
        ms.push(a);
        base.push(b);
        ratios.push(b / a);
      }
    }
    rows.push({ name, ms: median(ms), p90: p90(ms), base: median(base), ratio: median(ratios) });
  }
  others = await otherCallers();
} finally {
  await operator.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log(`node ${process.version}, operator and client in one process over loopback HTTP, ${ROUNDS} rounds alternating with the baseline`);
console.log('');
console.log('| request | median ms | p90 ms | baseline ms (bare 2 x SHA-256 per identifier) | baseline / request (median per round) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.base.toFixed(1)} | ${pct(r.ratio)} |`);
console.log('');
const worst = Math.max(...rows.map((r) => r.p90));
console.log(`target (a 5,000-identifier request well under a second: p90 < 500 ms): ${worst < 500 ? 'met' : 'MISSED'} (worst p90 ${worst.toFixed(1)} ms)`);
console.log('');
console.log(`other callers during a 40,000-identifier request (${others.bigMs.toFixed(0)} ms): health check p99 ${others.busyP99.toFixed(1)} ms, max ${others.busyMax.toFixed(1)} ms; idle p99 ${others.idleP99.toFixed(1)} ms (baseline)`);
console.log(`target (the big request does not stall others: busy max < a quarter of its duration): ${others.busyMax < others.bigMs / 4 ? 'met' : 'MISSED'}`);
