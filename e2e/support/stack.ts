// Starts the real stack for end-to-end tests through the same runner `pnpm start` uses (scripts/stack.ts),
// on free ports and a temp data dir, so a dev stack on the default ports is never touched.
// Every party gets its own host under localhost (shop.localhost, publisher.localhost, ...): distinct
// origins that are still secure contexts over plain http, which the snippet's WebCrypto needs (a host
// such as shop.uid2.test over http is not one, so CSTG cannot run there). The operator accepts
// *.localhost origins for sites that list `localhost`, as the real operator does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromiumArgs } from '../../scripts/chromium.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_DOMAIN = 'localhost';

/** Chromium flags for the e2e specs: the project's launch flags, and *.localhost pinned to IPv4 where the stack listens. */
export const browserArgs = [...chromiumArgs, `--host-resolver-rules=MAP *.${DEMO_DOMAIN} 127.0.0.1`];

export interface StackPorts {
  operator: number;
  collector: number;
  shop: number;
  publisher: number;
  dsp: number;
}

export interface RunningStack {
  ports: StackPorts;
  /** What the browser opens: each site on its own host. */
  urls: { operator: string; collector: string; shop: string; publisher: string; dsp: string };
  /** What the test process itself calls (no name resolution needed). */
  api: { operator: string; collector: string; dsp: string };
  dataDir: string;
  /** Every line the stack printed so far (already prefixed and redacted by the runner). */
  output: string[];
  stop(): Promise<number | null>;
}

/** Free TCP ports, held open together so they are distinct, then released for the stack to bind. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<import('node:net').Server>((done, fail) => {
        const server = createServer();
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done(server));
      }),
    ),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

/** The collector's dev config with `overrides` merged in, written owner-only (it holds secrets). */
export function writeCollectorConfig(path: string, overrides: { operator?: Record<string, unknown>; [key: string]: unknown }): string {
  const dev = JSON.parse(readFileSync(join(repoRoot, 'apps/collector/config/dev.json'), 'utf8')) as Record<string, unknown>;
  const { operator, ...rest } = overrides;
  const config = { ...dev, ...rest, operator: { ...(dev.operator as object), ...operator } };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

export interface StartStackOptions {
  /** Extra environment for the runner and its children. */
  env?: Record<string, string>;
  /** Settings merged over the collector's dev config (apps/collector/config/dev.json). */
  collector?: { operator?: Record<string, unknown>; [key: string]: unknown };
  startTimeoutMs?: number;
}

export async function startStack(options: StartStackOptions = {}): Promise<RunningStack> {
  const [operator, collector, shop, publisher, dsp] = (await freePorts(5)) as [number, number, number, number, number];
  const ports = { operator, collector, shop, publisher, dsp };
  const dataDir = mkdtempSync(join(tmpdir(), 'uid2-e2e-'));
  const env: Record<string, string> = { ...options.env };
  if (options.collector) {
    env.COLLECTOR_CONFIG = writeCollectorConfig(join(dataDir, 'collector.config.json'), options.collector);
  }
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx', join(repoRoot, 'scripts/stack.ts'),
      '--operator-port', String(operator), '--collector-port', String(collector),
      '--shop-port', String(shop), '--publisher-port', String(publisher), '--dsp-port', String(dsp),
      '--data-dir', dataDir, '--domain', DEMO_DOMAIN,
    ],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  let ready!: () => void;
  const up = new Promise<void>((done) => (ready = done));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      output.push(line);
      if (process.env.E2E_STACK_LOG) process.stderr.write(`${line}\n`);
      if (line.startsWith('uid2-pixels stack is up')) ready();
    });
  }
  const exited = waitExit(child);
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    up.then(() => 'up' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'up') {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`the stack did not come up (${outcome}):\n${output.join('\n')}`);
  }
  const host = (name: string, port: number) => `http://${name}.${DEMO_DOMAIN}:${port}`;
  const local = (port: number) => `http://127.0.0.1:${port}`;
  return {
    ports,
    urls: {
      operator: host('operator', operator),
      collector: host('collector', collector),
      shop: host('shop', shop),
      publisher: host('publisher', publisher),
      dsp: host('dsp', dsp),
    },
    api: { operator: local(operator), collector: local(collector), dsp: local(dsp) },
    dataDir,
    output,
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
