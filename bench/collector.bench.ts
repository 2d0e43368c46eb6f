// `pnpm bench collector`: the pixel collector under load on loopback, against a baseline run in the same
// bench process: a bare node:http server doing the same decrypt (the uid2 SharingClient) and an in-memory
// write. Rows:
//   ceiling      bare node:http answering the GIF, no work: what this load generator can drive at all
//   baseline     bare node:http + query parse + decrypt + Map write (the target's 100 %)
//   file         the collector, one process, embedded file store (group commit + fdatasync)
//   redis        the collector, one process, Redis store (real redis-server)
//   cluster-2 file   the collector, two HTTP workers forwarding to the primary, which owns the file
//                    store (informational: on 2 vCPUs the load generator competes for the same cores)
//   cluster-2 redis  two HTTP workers each writing to Redis: the same cluster without the IPC hop, so
//                    the difference between the two cluster rows is what forwarding to the primary costs
// Then the answer-timing table (issue 11): the file-store collector under a mixed stream of four classes
// of pixel, interleaved request by request, median and p90 of each class in the same run:
//   bad token      a real token with one byte changed past its header (InvalidPayload)
//   valid, cached  a token of a UID2 seen before (its opt-out verdict cached): a write
//   valid, new     a token of a UID2 never seen: held durably, its opt-out decided off the answer path
//   unauthorised   a valid token naming a segment its sender is not granted
// Target: each class's median within 25 % of every other's. Run with TIMING_CONNECTIONS connections
// (default 16) and with one connection (a lone prober, every request alone in its commit).
// Every server is its own child process; the load generator (raw keep-alive sockets, 64 connections,
// closed loop) and the local operator run here. Rounds go round-robin over the servers and each cell is
// the median round. Target (issue): file >= 70 % of baseline req/s, p99 < 20 ms at 64 connections.
//
// Env: BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 64).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startOperator } from '@uid2-pixels/operator';
import { SharingClient } from '@uid2-pixels/uid2';
import { runLoad, type LoadResult } from '../apps/collector/test/helpers/loadgen.ts';
import { startRedis } from '../apps/collector/test/helpers/redis.ts';
import { makeRawUid, testFixture, SITES } from '../apps/collector/test/helpers/stack.ts';
import { answerGif } from '../apps/collector/src/pixel/response.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DISTINCT_UIDS = 4096;
const TIMING_SECONDS = Number(process.env.BENCH_TIMING_SECONDS ?? 5);
const TIMING_CONNECTIONS = Number(process.env.TIMING_CONNECTIONS ?? 16);
const TIMING_CLASSES = ['bad token', 'valid, cached', 'valid, new', 'unauthorised'] as const;
const SELF = fileURLToPath(import.meta.url);
const COLLECTOR_BIN = fileURLToPath(new URL('../apps/collector/bin/collector.mjs', import.meta.url));

// --- child modes: the comparison servers -------------------------------------------------------------

/** ceiling: the cheapest possible answer. */
async function serveCeiling(): Promise<void> {
  const server = createServer((_req, res) => answerGif(res));
  server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${(server.address() as AddressInfo).port}`));
}

/** baseline: the same query parse and decrypt as the collector, and a write into a Map. */
async function serveBaseline(): Promise<void> {
  const sharing = new SharingClient({ baseUrl: process.env.OPERATOR_URL!, apiKey: process.env.API_KEY!, secret: process.env.API_SECRET!, refreshIntervalMs: 3_600_000 });
  await sharing.start();
  const segments = new Map<string, Map<string, number>>();
  let bad = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const result = sharing.decrypt(params.get('uid2_token') ?? '');
    if (result.status === 'Success' && result.uid) {
      const segment = params.get('segment') ?? 'acme-converters';
      let seg = segments.get(segment);
      if (!seg) segments.set(segment, (seg = new Map()));
      seg.set(result.uid, Date.now());
    } else bad++;
    answerGif(res);
  });
  server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${(server.address() as AddressInfo).port}`));
  process.on('SIGTERM', () => {
    console.error(`baseline: ${bad} tokens failed to decrypt`);
    process.exit(bad === 0 ? 0 : 1);
  });
}

// --- the bench -----------------------------------------------------------------------------------------

interface Round extends LoadResult {
  /** Server CPU (user + system, all its processes) per answered request, µs. */
  cpuUsPerRequest: number;
}

interface Target {
  name: string;
  child: ChildProcess;
  port: number;
  rounds: Round[];
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime (ticks) of a process and all its descendants (cluster workers). */
function cpuTicks(rootPid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const visit = (pid: number) => {
    total += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) visit(child);
  };
  visit(rootPid);
  return total;
}

/** Spawns a server and resolves with its port (from "LISTENING <port>" or the collector's log). */
function spawnServer(name: string, args: string[], env: NodeJS.ProcessEnv = {}, listeners = 1): Promise<Target> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let seen = 0;
    const onLine = (line: string) => {
      lines.push(line);
      const plain = /^LISTENING (\d+)$/.exec(line);
      const logged = line.includes('"collector listening"') ? /"listen":"127\.0\.0\.1:(\d+)"/.exec(line) : null;
      const port = plain?.[1] ?? logged?.[1];
      // Cluster mode: wait for every worker, so no round starts with one of them still loading.
      if (port && ++seen >= listeners) resolve({ name, child, port: Number(port), rounds: [] });
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${lines.slice(-20).join('\n')}`)));
  });
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200 || r.status === 404) return; // 404: the bare servers have no /readyz
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on ${port} never became ready`);
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/**
 * Median and p90 answer time of each class of pixel, interleaved on `connections` connections in one
 * stream. `fresh` supplies never-seen tokens (one per valid-new request).
 */
async function answerTiming(
  port: number,
  connections: number,
  classes: Record<(typeof TIMING_CLASSES)[number], (n: number) => string>,
): Promise<Array<{ name: string; n: number; median: number; p90: number }>> {
  const samples = new Map<string, number[]>(TIMING_CLASSES.map((c) => [c, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const counters = new Map<string, number>();
    const r = await runLoad({
      host: '127.0.0.1', port, connections, durationMs: TIMING_SECONDS * 1000,
      path: (i) => {
        const name = TIMING_CLASSES[i % TIMING_CLASSES.length]!;
        const n = counters.get(name) ?? 0;
        counters.set(name, n + 1);
        return classes[name](n);
      },
      onResponse: (i, status, ms) => {
        if (status !== 200) throw new Error(`timing: a ${TIMING_CLASSES[i % TIMING_CLASSES.length]} pixel was answered ${status}`);
        samples.get(TIMING_CLASSES[i % TIMING_CLASSES.length]!)!.push(ms);
      },
    });
    if (r.errors) throw new Error(`timing: ${r.errors} errors`);
  }
  return TIMING_CLASSES.map((name) => {
    const v = samples.get(name)!;
    return { name, n: v.length, median: median(v), p90: quantile(v, 0.9) };
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'collector-bench-'));
  const children: ChildProcess[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    const fixture = testFixture();
    const operator = await startOperator({ dataDir: join(work, 'operator'), port: 0, fixture });
    cleanups.push(() => operator.close());
    const creds = (site: number) => {
      const p = fixture.participants.find((x) => x.siteId === site)!;
      return { baseUrl: operator.url, apiKey: p.apiKey, secret: p.secret };
    };
    const acme = new SharingClient({ ...creds(SITES.acme), refreshIntervalMs: 3_600_000 });
    await acme.start();
    acme.stop();
    const paths = Array.from({ length: DISTINCT_UIDS }, () => {
      const r = acme.encrypt(makeRawUid());
      return `/pixel/conversion?uid2_token=${encodeURIComponent(r.token!)}`;
    });
    const redis = await startRedis();
    cleanups.push(() => redis.stop());

    const lumen = creds(SITES.lumen);
    const collectorConfig = (name: string, store: object, workers: number) => {
      const path = join(work, `${name}.json`);
      writeFileSync(path, JSON.stringify({
        host: '127.0.0.1', port: 0, workers, dataDir: join(work, name), logLevel: 'info',
        operator: { url: operator.url, apiKey: lumen.apiKey, secret: lumen.secret },
        senders: [{ siteId: SITES.acme, segments: ['acme-converters'], defaults: { conversion: 'acme-converters' } }],
        store,
      }), { mode: 0o600 });
      return path;
    };
    const selfArgs = ['--import', 'tsx', SELF];
    const env = { OPERATOR_URL: operator.url, API_KEY: lumen.apiKey, API_SECRET: lumen.secret };
    const targets = await Promise.all([
      spawnServer('ceiling', [...selfArgs, '--serve-ceiling']),
      spawnServer('baseline', [...selfArgs, '--serve-baseline'], env),
      spawnServer('file', [COLLECTOR_BIN, '--config', collectorConfig('file', { kind: 'file' }, 1)]),
      spawnServer('redis', [COLLECTOR_BIN, '--config', collectorConfig('redis', { kind: 'redis', url: redis.url }, 1)]),
      spawnServer('cluster-2 file', [COLLECTOR_BIN, '--config', collectorConfig('cluster', { kind: 'file' }, 2)], {}, 2),
      spawnServer('cluster-2 redis', [COLLECTOR_BIN, '--config', collectorConfig('cluster-redis', { kind: 'redis', url: redis.url, keyPrefix: 'c2' }, 2)], {}, 2),
    ]);
    for (const t of targets) children.push(t.child);
    for (const t of targets) await waitReady(t.port);

    const load = (t: Target, seconds: number, requests?: number) =>
      runLoad({ host: '127.0.0.1', port: t.port, connections: CONNECTIONS, durationMs: seconds * 1000, ...(requests && { requests }), path: (i) => paths[i % paths.length]! });

    // Warm-up: JIT, and every UID2 once through the opt-out check (cached from then on).
    for (const t of targets) {
      const w = await load(t, 20, DISTINCT_UIDS * 2);
      if (w.statuses[200] !== w.requests) throw new Error(`${t.name}: warm-up answered ${JSON.stringify(w.statuses)}`);
    }
    console.log(`collector bench: ${CONNECTIONS} connections, ${ROUNDS} rounds x ${SECONDS} s, round-robin, median round; ${DISTINCT_UIDS} distinct tokens`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const cpuBefore = cpuTicks(t.child.pid!);
        const r = await load(t, SECONDS);
        const cpu = cpuTicks(t.child.pid!) - cpuBefore;
        if (r.errors || r.statuses[200] !== r.requests) throw new Error(`${t.name}: ${r.errors} errors, statuses ${JSON.stringify(r.statuses)}`);
        t.rounds.push({ ...r, cpuUsPerRequest: ((cpu / CLOCK_TICKS) * 1e6) / r.requests });
      }
    }

    const baseline = median(targets.find((t) => t.name === 'baseline')!.rounds.map((r) => r.rps));
    const rows = targets.map((t) => {
      const best = [...t.rounds].sort((a, b) => a.rps - b.rps)[Math.floor(t.rounds.length / 2)]!;
      return {
        name: t.name, rps: best.rps, p50: best.p50Ms, p99: best.p99Ms, cpu: median(t.rounds.map((r) => r.cpuUsPerRequest)),
        all: t.rounds.map((r) => Math.round(r.rps / 100) / 10),
      };
    });
    const baselineCpu = rows.find((r) => r.name === 'baseline')!.cpu;
    console.log('');
    console.log('| server | req/s (median) | vs baseline | p50 ms | p99 ms | server CPU µs/req | CPU vs baseline | rounds (k req/s) |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${Math.round(r.rps).toLocaleString('en-US')} | ${((100 * r.rps) / baseline).toFixed(0)} % | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ` +
          `${r.cpu.toFixed(1)} | ${((100 * r.cpu) / baselineCpu).toFixed(0)} % | ${r.all.join(' / ')} |`,
      );
    }
    const file = rows.find((r) => r.name === 'file')!;
    const ok = file.rps >= 0.7 * baseline && file.p99 < 20;
    console.log('');
    console.log(`target (file >= 70 % of baseline, p99 < 20 ms): ${ok ? 'met' : 'MISSED'} (${((100 * file.rps) / baseline).toFixed(0)} %, p99 ${file.p99.toFixed(2)} ms)`);

    // --- answer timing by class (file store) ---
    const fileTarget = targets.find((t) => t.name === 'file')!;
    const q = (token: string, extra = '') => `/pixel/conversion?uid2_token=${encodeURIComponent(token)}${extra}`;
    const badTokens = Array.from({ length: 4096 }, () => {
      const t = Buffer.from(acme.encrypt(makeRawUid()).token!, 'base64url');
      t[40] = (t[40] as number) ^ 0x55; // inside the master layer: fails its GCM tag
      return q(t.toString('base64url'));
    });
    const unauthorised = Array.from({ length: 4096 }, () => q(acme.encrypt(makeRawUid()).token!, '&segment=bidwell-impressions'));
    // Enough never-seen UID2s for every valid-new request of every run.
    const freshCount = Math.ceil((ROUNDS * TIMING_SECONDS * 6000) / TIMING_CLASSES.length) * 2;
    const fresh = Array.from({ length: freshCount }, () => q(acme.encrypt(makeRawUid()).token!));
    let freshUsed = 0;
    const classes = {
      'bad token': (n: number) => badTokens[n % badTokens.length]!,
      'valid, cached': (n: number) => paths[n % paths.length]!,
      'valid, new': () => {
        if (freshUsed >= fresh.length) throw new Error('timing: ran out of fresh tokens');
        return fresh[freshUsed++]!;
      },
      unauthorised: (n: number) => unauthorised[n % unauthorised.length]!,
    };
    for (const connections of [TIMING_CONNECTIONS, 1]) {
      const timing = await answerTiming(fileTarget.port, connections, classes);
      const medians = timing.map((t) => t.median);
      const spread = Math.max(...medians) / Math.min(...medians);
      console.log('');
      console.log(`answer timing, file store, ${connections} connection${connections === 1 ? '' : 's'}, classes interleaved, ${ROUNDS} x ${TIMING_SECONDS} s:`);
      console.log('| class | requests | median ms | p90 ms |');
      console.log('|---|---|---|---|');
      for (const t of timing) console.log(`| ${t.name} | ${t.n.toLocaleString('en-US')} | ${t.median.toFixed(2)} | ${t.p90.toFixed(2)} |`);
      console.log(`target (every median within 25 % of every other): ${spread <= 1.25 ? 'met' : 'MISSED'} (largest / smallest median ${spread.toFixed(2)})`);
    }
  } finally {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    for (const f of cleanups.reverse()) await f();
    rmSync(work, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === '--serve-ceiling') await serveCeiling();
else if (mode === '--serve-baseline') await serveBaseline();
else await main();
