// `pnpm bench share`: the bulk routes of the collector (issue 12), one collector process with the file
// store, against a baseline of bare decryptToken over the same tokens in the same run.
//   baseline   decryptToken (the uid2 SharingClient) over the tokens, in this process, nothing else
//   api        POST /share/v1/segments/<s>/tokens, 5000 tokens per request, 4 in flight, through the
//              whole route: auth, parse, decrypt, authorise, opt-out, durable group commit, answer
//   file       a CSV file of the same tokens dropped in the drop directory, from drop to report
//   big file   a file of BENCH_SHARE_BIG_GB (default 2) GB, generated streamed from the same tokens
//              repeated (so the segment stays BENCH_SHARE_TOKENS members: the file store keeps members
//              in memory, and the figure is about streaming the file), peak RSS (VmHWM) of a fresh
//              collector that ingests only it
// Every round makes new tokens (new UID2s) for each route and runs it twice into new segments: cold
// (the collector has never seen these UID2s, so every opt-out status is asked of the operator) then
// warm (the same tokens again: the verdicts are cached). Each route is compared with a baseline
// measured just before it over its own tokens, and the table shows the median of the rounds' ratios
// (and their range), so that one noisy round does not decide a row. A warm-up with 10,000 other
// tokens runs first (not measured), so that round 1 is cold in opt-outs, not in the JIT.
// The local operator runs in this process (it answers the collector's key and opt-out calls).
// The collector decrypts each batch on a thread beside its main thread (its default: cores - 1, 1 to 4;
// 1 on two cores); BENCH_SHARE_DECRYPT_THREADS=0 decrypts on the main thread, for comparison.
// Env: BENCH_SHARE_TOKENS (default 100000), BENCH_ROUNDS (default 3; 0 = only the big file), BENCH_SHARE_BIG_GB (default 2, 0 = skip),
// BENCH_COLLECTOR_NODE_ARGS (extra node flags for the collector process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p";
// the collector is stopped with SIGTERM at the end so that a profile is written).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startOperator } from '@uid2-pixels/operator';
import { SharingClient } from '@uid2-pixels/uid2';
import { makeRawUid, testFixture, SITES } from '../apps/collector/test/helpers/stack.ts';
import { issueSenderKey } from '../apps/collector/src/share/sender-keys.ts';
import { defaultDecryptThreads } from '../apps/collector/src/decrypt-threads.ts';

const TOKENS = Number(process.env.BENCH_SHARE_TOKENS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BIG_GB = Number(process.env.BENCH_SHARE_BIG_GB ?? 2);
const DECRYPT_THREADS = process.env.BENCH_SHARE_DECRYPT_THREADS === undefined ? defaultDecryptThreads(1) : Number(process.env.BENCH_SHARE_DECRYPT_THREADS);
const COLLECTOR_BIN = fileURLToPath(new URL('../apps/collector/bin/collector.mjs', import.meta.url));
const BATCH = 5000;
const IN_FLIGHT = 4;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en');

/** CPU time (user + system) a process has used so far, in µs, from /proc (clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function vmHwmKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function waitFor<T>(probe: () => T | null | undefined, what: string, timeoutMs: number, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-share-'));
  const collectors: ChildProcess[] = [];
  try {
    const fixture = testFixture();
    const operator = await startOperator({ dataDir: join(work, 'operator'), port: 0, fixture });
    const creds = (site: number) => {
      const p = fixture.participants.find((x) => x.siteId === site)!;
      return { baseUrl: operator.url, apiKey: p.apiKey, secret: p.secret };
    };
    const acme = new SharingClient({ ...creds(SITES.acme), refreshIntervalMs: 3_600_000 });
    const lumen = new SharingClient({ ...creds(SITES.lumen), refreshIntervalMs: 3_600_000 });
    await Promise.all([acme.start(), lumen.start()]);
    acme.stop();
    lumen.stop();
    const mint = (n: number) => Array.from({ length: n }, () => acme.encrypt(makeRawUid()).token!);
    console.log(`${fmt(TOKENS)} distinct sharing tokens (v4) per route and round, ${ROUNDS} rounds; collector decrypt threads ${DECRYPT_THREADS}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

    // The collector: one process, file store, drop directory.
    const key = issueSenderKey(SITES.acme);
    const lumenP = fixture.participants.find((x) => x.siteId === SITES.lumen)!;
    const nodeArgs = (process.env.BENCH_COLLECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // BENCH_COLLECTOR_BUILT=1: run the compiled collector (dist/, as in production: plain node, no tsx),
    // not the TypeScript sources the repository's .npmrc condition selects. Build it first.
    const built = process.env.BENCH_COLLECTOR_BUILT === '1';
    if (built && !existsSync(fileURLToPath(new URL('../apps/collector/dist/main.js', import.meta.url)))) {
      throw new Error('BENCH_COLLECTOR_BUILT=1 needs the build: pnpm --filter "@uid2-pixels/collector..." build');
    }
    const collectorEnv = built
      ? { ...process.env, NODE_OPTIONS: (process.env.NODE_OPTIONS ?? '').replace('--conditions=@uid2-pixels/source', '') }
      : process.env;
    // Ctrl-C or a kill of the bench takes its collectors (and the temp files) with it.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        for (const c of collectors) c.kill('SIGKILL');
        rmSync(work, { recursive: true, force: true });
        process.exit(130);
      });
    }
    const startCollector = async (name: string): Promise<{ child: ChildProcess; url: string; drops: string }> => {
      const drops = join(work, name, 'drops');
      const config = {
        host: '127.0.0.1', port: 0, dataDir: join(work, name, 'data'), decryptThreads: DECRYPT_THREADS,
        operator: { url: operator.url, apiKey: lumenP.apiKey, secret: lumenP.secret },
        senders: [{ siteId: SITES.acme, segments: ['bench-*'], keyHashes: [key.hash], maxSegmentsPerPattern: 1000 }],
        optout: { cacheMaxEntries: 2_000_000, maxBatch: 5000, timeoutMs: 30_000 },
        bulk: { tokensPerSecond: 100_000_000, burstTokens: 100_000_000 },
        drops: { source: 'dir', dir: drops, pollMs: 50 }, // chunkLines: the default
        logLevel: 'warn',
      };
      mkdirSync(join(work, name), { recursive: true });
      const configPath = join(work, name, 'collector.json');
      writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
      const child = spawn(process.execPath, [...nodeArgs, COLLECTOR_BIN, '--config', configPath, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'], env: collectorEnv });
      collectors.push(child);
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes('"collector listening"')) resolve(`http://${(JSON.parse(line) as { listen: string }).listen}`);
        });
        child.once('exit', (code) => reject(new Error(`collector exited ${code}`)));
      });
      for (let i = 0; i < 200; i++) {
        if ((await fetch(`${url}/readyz`)).status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return { child, url, drops };
    };
    const { child, url, drops } = await startCollector('routes');

    // Warm-up, not measured: other tokens (other UID2s) through the baseline, the API and a file, so
    // that round 1 measures a cold opt-out cache, not code that has not been compiled yet.
    const warm = Array.from({ length: 10_000 }, () => acme.encrypt(makeRawUid()).token!);
    for (const t of warm) lumen.decrypt(t);
    for (let i = 0; i < warm.length; i += BATCH) {
      const r = await fetch(`${url}/share/v1/segments/bench-warmup/tokens`, {
        method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tokens: warm.slice(i, i + BATCH) }),
      });
      if (r.status !== 200) throw new Error(`warm-up answered ${r.status}`);
    }
    const warmDir = join(drops, String(SITES.acme), 'bench-warmup');
    mkdirSync(warmDir, { recursive: true });
    writeFileSync(join(warmDir, '.w.tmp'), 'token\n' + warm.join('\n') + '\n');
    renameSync(join(warmDir, '.w.tmp'), join(warmDir, 'w.csv'));
    await waitFor(() => existsSync(join(warmDir, 'w.csv.report.json')), 'warm-up report', 600_000);

    /** Bare decrypt of `tokens`: tokens/s, and this process's CPU µs per token. */
    const measureBaseline = (tokens: readonly string[]) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let ok = 0;
      for (const t of tokens) if (lumen.decrypt(t).status === 'Success') ok++;
      if (ok !== tokens.length) throw new Error(`baseline decrypted ${ok} of ${tokens.length}`);
      const c1 = process.cpuUsage(c0);
      return { rate: tokens.length / ((performance.now() - t0) / 1000), cpu: (c1.user + c1.system) / tokens.length };
    };
    const pid = child.pid!;
    /** Every batch of `bodies` through the api route, IN_FLIGHT at once: tokens/s, collector CPU µs per token. */
    const measureApi = async (segment: string, bodies: readonly string[], count: number) => {
      let next = 0;
      let written = 0;
      const p0 = cpuMicros(pid);
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++]!;
            const r = await fetch(`${url}/share/v1/segments/${segment}/tokens`, {
              method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body,
            });
            if (r.status !== 200) throw new Error(`api answered ${r.status}: ${await r.text()}`);
            const a = (await r.json()) as { written: number; held: number };
            written += a.written + a.held; // held: durable, waiting for an opt-out answer
          }
        }),
      );
      const rate = count / ((performance.now() - t0) / 1000);
      if (written !== count) throw new Error(`api wrote ${written} of ${count}`);
      return { rate, cpu: (cpuMicros(pid) - p0) / count };
    };
    /** `csv` dropped as a file into `segment`, until its report: tokens/s, collector CPU µs per token. */
    const measureFile = async (segment: string, csv: string, count: number) => {
      const dir = join(drops, String(SITES.acme), segment);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.f.tmp'), csv);
      const t0 = performance.now();
      const p0 = cpuMicros(pid);
      renameSync(join(dir, '.f.tmp'), join(dir, 'f.csv'));
      const report = await waitFor(() => (existsSync(join(dir, 'f.csv.report.json')) ? (JSON.parse(readFileSync(join(dir, 'f.csv.report.json'), 'utf8')) as { written: number }) : null), 'file report', 600_000);
      const rate = count / ((performance.now() - t0) / 1000);
      if (report.written !== count) throw new Error(`file wrote ${report.written} of ${count}`);
      return { rate, cpu: (cpuMicros(pid) - p0) / count };
    };

    /** A pause before a measurement, so that the collector's work after the last answer (a report, a GC) is done. */
    const settle = () => new Promise((r) => setTimeout(r, 300));
    const mean = (a: { rate: number; cpu: number }, b: { rate: number; cpu: number }) => ({ rate: (a.rate + b.rate) / 2, cpu: (a.cpu + b.cpu) / 2 });
    /**
     * A route run cold then warm between two baselines over its own tokens; their mean is the route's
     * baseline (the machine's speed drifts within a round).
     */
    const measureRoute = async (own: readonly string[], run: (temperature: 'cold' | 'warm') => Promise<{ rate: number; cpu: number }>) => {
      const before = measureBaseline(own);
      const cold = await run('cold');
      const warm = await run('warm');
      await settle();
      return { base: mean(before, measureBaseline(own)), cold, warm };
    };
    type Row = 'apiCold' | 'apiWarm' | 'fileCold' | 'fileWarm';
    const ratios: Record<Row, number[]> = { apiCold: [], apiWarm: [], fileCold: [], fileWarm: [] };
    const rates: Record<Row | 'baseline', number[]> = { baseline: [], apiCold: [], apiWarm: [], fileCold: [], fileWarm: [] };
    const cpus: Record<Row | 'baseline', number[]> = { baseline: [], apiCold: [], apiWarm: [], fileCold: [], fileWarm: [] };
    const record = (row: Row, base: { rate: number }, m: { rate: number; cpu: number }) => {
      ratios[row].push(m.rate / base.rate);
      rates[row].push(m.rate);
      cpus[row].push(m.cpu);
    };
    let tokens: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // New UID2s for each route, and the bodies and the file made before anything is measured.
      const apiTokens = mint(TOKENS);
      const bodies: string[] = [];
      for (let i = 0; i < TOKENS; i += BATCH) bodies.push(JSON.stringify({ tokens: apiTokens.slice(i, i + BATCH) }));
      tokens = mint(TOKENS);
      const csv = 'token\n' + tokens.join('\n') + '\n';
      await settle();
      const { base: apiBase, cold: apiCold, warm: apiWarm } = await measureRoute(apiTokens, (t) => measureApi(`bench-api-${t}-${round}`, bodies, TOKENS));
      await settle();
      const { base: fileBase, cold: fileCold, warm: fileWarm } = await measureRoute(tokens, (t) => measureFile(`bench-file-${t}-${round}`, csv, TOKENS));
      for (const b of [apiBase, fileBase]) {
        rates.baseline.push(b.rate);
        cpus.baseline.push(b.cpu);
      }
      record('apiCold', apiBase, apiCold);
      record('apiWarm', apiBase, apiWarm);
      record('fileCold', fileBase, fileCold);
      record('fileWarm', fileBase, fileWarm);
      const pct = (m: { rate: number }, b: { rate: number }) => `${Math.round((m.rate / b.rate) * 100)} %`;
      console.log(
        `round ${round + 1}: baseline ${fmt(apiBase.rate)} / ${fmt(fileBase.rate)} tokens/s · ` +
          `api cold ${pct(apiCold, apiBase)}, warm ${pct(apiWarm, apiBase)} · file cold ${pct(fileCold, fileBase)}, warm ${pct(fileWarm, fileBase)}; ` +
          `CPU µs/token: baseline ${apiBase.cpu.toFixed(1)} / ${fileBase.cpu.toFixed(1)} · api ${apiCold.cpu.toFixed(1)} / ${apiWarm.cpu.toFixed(1)} · ` +
          `file ${fileCold.cpu.toFixed(1)} / ${fileWarm.cpu.toFixed(1)} (collector, cold / warm)`,
      );
    }

    // BENCH_ROUNDS=0: no rounds, only the big file.
    if (ROUNDS > 0) {
      const pctOf = (r: number) => `${Math.round(r * 100)} %`;
      const range = (v: number[]) => `${pctOf(Math.min(...v))}–${pctOf(Math.max(...v))}`;
      const cpuRange = (v: number[]) => `${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)}`;
      console.log('\n| route | tokens/s (median) | vs baseline (median of rounds) | rounds | CPU µs/token |\n|---|---|---|---|---|');
      console.log(`| baseline: bare decryptToken | ${fmt(median(rates.baseline))} | 100 % | | ${cpuRange(cpus.baseline)} (bench process) |`);
      const rows: Array<[Row, string]> = [
        ['apiCold', 'api, cold (every opt-out asked)'],
        ['apiWarm', 'api, warm (opt-out verdicts cached)'],
        ['fileCold', 'file, cold'],
        ['fileWarm', 'file, warm'],
      ];
      for (const [row, name] of rows) {
        console.log(`| ${name} | ${fmt(median(rates[row]))} | ${pctOf(median(ratios[row]))} | ${range(ratios[row])} | ${cpuRange(cpus[row])} (collector) |`);
      }
      console.log('Target: >= 60 % of baseline through the whole route with durable writes.');
    }

    if (BIG_GB > 0) {
      // The big file: the same tokens repeated, written streamed, then dropped into a collector of its
      // own, so that its peak RSS is the file's streaming and the segment it fills, not the members the
      // api and file rounds left in the first collector's in-memory index (6 x BENCH_SHARE_TOKENS).
      child.kill('SIGTERM');
      await once(child, 'exit');
      if (tokens.length === 0) tokens = mint(TOKENS); // BENCH_ROUNDS=0
      const big = await startCollector('big');
      const bigDir = join(big.drops, String(SITES.acme), 'bench-big');
      mkdirSync(bigDir, { recursive: true });
      const tmp = join(bigDir, '.big.tmp');
      const out = createWriteStream(tmp);
      const target = BIG_GB * 1024 ** 3;
      let bytes = 0;
      let lines = 0;
      out.write('token\n');
      while (bytes < target) {
        for (let i = 0; i < tokens.length && bytes < target; i += 1000) {
          const chunk = tokens.slice(i, i + 1000).join('\n') + '\n';
          bytes += chunk.length;
          lines += Math.min(1000, tokens.length - i);
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      out.end();
      await once(out, 'close');
      const before = vmHwmKb(big.child.pid!);
      const t0 = performance.now();
      renameSync(tmp, join(bigDir, 'big.csv'));
      const report = await waitFor(
        () => (existsSync(join(bigDir, 'big.csv.report.json')) ? (JSON.parse(readFileSync(join(bigDir, 'big.csv.report.json'), 'utf8')) as { lines: number; written: number }) : null),
        'big file report', 4 * 3600_000, 500,
      );
      const seconds = (performance.now() - t0) / 1000;
      const peak = vmHwmKb(big.child.pid!);
      console.log(`\nbig file: ${(bytes / 1024 ** 3).toFixed(2)} GiB, ${fmt(lines)} lines, ingested in ${seconds.toFixed(0)} s (${fmt(lines / seconds)} lines/s); report lines ${fmt(report.lines)}`);
      console.log(`collector peak RSS (VmHWM): ${fmt(before / 1024)} MB after start, ${fmt(peak / 1024)} MB after the file (target < 200 MB)`);
    }
    await operator.close();
  } finally {
    for (const collector of collectors) {
      if (collector.exitCode !== null || collector.signalCode !== null) continue;
      // SIGTERM first: a graceful stop writes a --cpu-prof profile; SIGKILL if it does not stop soon.
      const exited = once(collector, 'exit');
      collector.kill('SIGTERM');
      const timer = setTimeout(() => collector.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
