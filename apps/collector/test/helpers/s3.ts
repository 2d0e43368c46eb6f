// A real S3-compatible server for tests: s3rver (@20minutes/s3rver, the maintained fork of s3rver,
// from the npm registry), run as its own process on a free loopback port with a temp data directory,
// so a test can stop it (SIGKILL, by pid) and start it again on the same port with the same objects.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports.ts';

const require = createRequire(import.meta.url);
// allowMismatchedSignatures: s3rver computes the canonical path of a bucket listing as "/bucket" while
// the AWS SDK v3 signs "/bucket/" (path-style), so every ListObjectsV2 would fail its signature check.
// The signature must still be well formed; it is not verified.
// The package ships its CLI as a module (lib/cli.js) without the bin file it names; run the server
// through its API in a child process instead.
const S3RVER_MAIN = join(dirname(require.resolve('@20minutes/s3rver/package.json')), 'lib', 's3rver.js');
const S3RVER_BOOT = `const S3rver = require(process.argv[1]);
new S3rver({ address: '127.0.0.1', port: Number(process.argv[2]), directory: process.argv[3], silent: true,
  vhostBuckets: false, allowMismatchedSignatures: true, configureBuckets: [{ name: process.argv[4], configs: [] }] }).run().catch((e) => { console.error(e); process.exit(1); });`;

/** s3rver's fixed credentials (it checks signatures against them). */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** The environment a collector or `uid2 share file` needs to reach this server. */
export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

export interface S3Handle {
  endpoint: string;
  port: number;
  bucket: string;
  client(): S3Client;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function waitUp(endpoint: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      await fetch(endpoint);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`s3rver at ${endpoint} did not come up`);
}

const started = new Set<ChildProcess>();

export async function startS3(bucket = 'drops'): Promise<S3Handle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'collector-s3-'));
  const endpoint = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const boot = async () => {
    child = spawn(process.execPath, ['-e', S3RVER_BOOT, S3RVER_MAIN, String(port), dir, bucket], { stdio: 'ignore' });
    started.add(child);
    await waitUp(endpoint);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
    started.delete(c);
  };
  await boot();
  const clients: S3Client[] = [];
  return {
    endpoint,
    port,
    bucket,
    client() {
      const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
      clients.push(c);
      return c;
    },
    stop,
    restart: boot,
    async close() {
      for (const c of clients) c.destroy();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
