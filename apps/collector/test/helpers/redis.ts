// Starts real redis-server processes for tests: a single server, or a three-master Redis Cluster on
// loopback ports, each in its own temp dir. Every process is killed by its own pid at teardown.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';

export interface RedisHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server (SIGKILL) and keeps its data dir, so restart() brings back what it had made durable. */
  halt(): Promise<void>;
  /** Starts the server again on the same port and dir. */
  restart(): Promise<void>;
}

export interface RedisClusterHandle {
  nodes: string[];
  stop(): Promise<void>;
}

function cli(port: number, ...args: string[]): string {
  const r = spawnSync(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startServer(port: number, dir: string, extra: string[]): ChildProcess {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extra],
    { stdio: 'ignore' },
  );
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * A single redis-server. `durable`: append-only file fsync'd on every write, so an acknowledged write
 * survives halt() + restart() (what a production Redis behind a collector must be configured to do).
 */
export async function startRedis(options: { durable?: boolean } = {}): Promise<RedisHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'collector-redis-'));
  const extra = options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [];
  let child = startServer(port, dir, extra);
  await waitFor(() => cli(port, 'ping').includes('PONG'), `redis-server on ${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async halt() {
      await stopChild(child);
    },
    async restart() {
      child = startServer(port, dir, extra);
      await waitFor(() => cli(port, 'ping').includes('PONG'), `redis-server on ${port} again`);
    },
  };
}

export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'collector-rcluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const bus = await freePort();
      ports.push(port);
      const nodeDir = join(dir, String(i));
      spawnSync('mkdir', ['-p', nodeDir]);
      children.push(
        startServer(port, nodeDir, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(bus), '--cluster-node-timeout', '5000']),
      );
    }
    for (const p of ports) await waitFor(() => cli(p, 'ping').includes('PONG'), `cluster node ${p}`);
    const create = spawnSync(
      REDIS_CLI,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const p of ports) await waitFor(() => cli(p, 'cluster', 'info').includes('cluster_state:ok'), `cluster state ok on ${p}`);
  } catch (err) {
    for (const c of children) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    async stop() {
      for (const c of children) await stopChild(c);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
