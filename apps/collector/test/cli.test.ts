// The `collector` command as a user runs it: --help, config errors that name the field, and
// `collector export` (owner-only output file, progress on stderr, opt-out checked again).
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../src/store/file-store.ts';
import { DAY_MS } from '../src/store/segment-store.ts';
import { COLLECTOR_BIN, writeConfig } from './helpers/child.ts';
import { event } from './helpers/events.ts';
import { collectorConfig, optOutUser, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [COLLECTOR_BIN, ...args], { env: { ...process.env, NODE_ENV: 'production', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let op: TestOperator;
let dir: string;
beforeAll(async () => {
  op = await startTestOperator();
  dir = tempDir();
}, 30_000);
afterAll(async () => {
  await op?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('collector --help and bad input', () => {
  it('--help lists commands, every port/path flag and the secret variables', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const s of ['collector export', '--port', '--data-dir', '--decrypt-threads', 'COLLECTOR_DECRYPT_THREADS', '--config', '--redis-url', 'COLLECTOR_PORT', 'COLLECTOR_OPERATOR_SECRET', 'COLLECTOR_ADMIN_TOKEN', '/pixel/conversion']) {
      expect(r.stdout).toContain(s);
    }
  });

  it('a heap-growing percent that is not a number: exit 2 naming the variable, before anything starts', async () => {
    const r = await run(['--help'], { COLLECTOR_HEAP_GROWING_PERCENT: 'fifty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('COLLECTOR_HEAP_GROWING_PERCENT must be a whole number');
    expect(r.stdout).toBe('');
  });

  it.each([
    ['a bad secret in the file', { operator: { secret: 'short' } }, [], {}, 'operator.secret'],
    ['an unknown setting (a typo)', { prot: 8090 }, [], {}, 'unknown setting "prot"'],
    ['a default segment the sender may not write', { senders: [{ siteId: 101, segments: ['a'], defaults: { conversion: 'b' } }] }, [], {}, 'senders.0.defaults.conversion'],
    ['a port flag that is not a number', {}, ['--port', 'eighty'], {}, 'port'],
    ['an env port out of range', {}, [], { COLLECTOR_PORT: '70000' }, 'port'],
    ['redis-cluster without nodes', { store: { kind: 'redis-cluster' } }, [], {}, 'store.nodes'],
  ])('%s: exits 2 naming the field', async (_name, patch, flags, env, field) => {
    const base = collectorConfig(op, join(dir, 'unused')) as unknown as Record<string, unknown>;
    const merged = { ...base, ...patch, operator: { ...(base.operator as object), ...((patch as { operator?: object }).operator ?? {}) } };
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(merged), { mode: 0o600 });
    const r = await run(['--config', file, ...(flags as string[])], env as NodeJS.ProcessEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('config:');
    expect(r.stderr).toContain(field);
  });

  it('a port in use names --port and COLLECTOR_PORT', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const port = (holder.address() as AddressInfo).port;
    try {
      const cfg = writeConfig(dir, { ...collectorConfig(op, join(dir, 'busy-data')), port }, 'busy.json');
      const r = await run(['--config', cfg]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`collector: port ${port} on 127.0.0.1 is already in use (another collector still running?): choose another with --port <n> or COLLECTOR_PORT`);
      expect(r.stderr).not.toContain('EADDRINUSE');
    } finally {
      holder.close();
    }
  });

  it('an unknown flag is a usage error that suggests the flag meant', async () => {
    const r = await run(['--prot', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('collector: unknown option --prot (did you mean --port?)\nRun "collector --help" for usage.\n');
  });

  it.each([
    [['--workers', '-3'], 'collector: config: workers: must be at least 0, got -3 (config file field workers, COLLECTOR_WORKERS, --workers)\n'],
    [['--port'], 'collector: --port needs a value\nRun "collector --help" for usage.\n'],
    [['expor'], 'collector: unknown command "expor" (did you mean export?) (commands: serve, export, sender-key)\nRun "collector --help" for usage.\n'],
  ])('%j: exit 2 with a message that says what is wrong, no stack trace', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
  });
});

describe('collector export', () => {
  it('writes the live members to an owner-only file, leaves out whoever opted out since, shows progress', async () => {
    const dataDir = join(dir, 'export-data');
    const config = collectorConfig(op, dataDir);
    const store = new FileStore({ dir: join(dataDir, 'segments'), ttlMs: 30 * DAY_MS });
    await store.open();
    const members = Array.from({ length: 2500 }, () => event({ segment: 'acme-converters' }));
    const leaver = await optOutUser(op, 'export-leaver@example.com');
    await Promise.all([...members, event({ segment: 'acme-converters', uid: leaver }), event({ segment: 'other' })].map((e) => store.write(e)));
    await store.close();
    const cfg = writeConfig(dir, config, 'export.json');

    const out = join(dir, 'out', 'acme.csv');
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(out, 'old content', { mode: 0o644 }); // an existing, too-open file is tightened
    const r = await run(['export', '--config', cfg, '--segment', 'acme-converters', '--format', 'csv', '--out', out]);
    expect(r.stderr).toContain('100%');
    expect(r.stderr).toContain('1 opted out');
    expect(r.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('uid,segment,first_seen,last_seen,sender_site_id,last_kind,identity_type,token_version');
    expect(rows.length - 1).toBe(2500);
    const uids = new Set(rows.slice(1).map((row) => row.split(',')[0]));
    for (const m of members) expect(uids.has(m.uid)).toBe(true);
    expect(uids.has(leaver)).toBe(false);
    expect(r.stdout).toBe('');

    const nd = await run(['export', '--config', cfg, '--segment', 'other', '--format', 'ndjson']);
    expect(nd.code).toBe(0);
    expect(nd.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(nd.stdout)).toMatchObject({ segment: 'other', senderSiteId: 101 });
  });

  it('refuses a bad format or a missing segment with exit 2', async () => {
    const cfg = writeConfig(dir, collectorConfig(op, join(dir, 'x')), 'usage.json');
    expect((await run(['export', '--config', cfg, '--segment', 's', '--format', 'xml'])).code).toBe(2);
    expect((await run(['export', '--config', cfg, '--format', 'csv'])).code).toBe(2);
  });

  it('fails (exit 1, nothing claimed) when the operator cannot be asked about opt-out', async () => {
    const dataDir = join(dir, 'down-data');
    const store = new FileStore({ dir: join(dataDir, 'segments'), ttlMs: 30 * DAY_MS });
    await store.open();
    await store.write(event({ segment: 'acme-converters' }));
    await store.close();
    const config = { ...collectorConfig(op, dataDir), operator: { ...collectorConfig(op, dataDir).operator, url: 'http://127.0.0.1:9' } };
    const cfg = writeConfig(dir, config, 'down.json');
    const r = await run(['export', '--config', cfg, '--segment', 'acme-converters', '--format', 'csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('export failed');
    expect(r.stdout).toBe(''); // not even the CSV header
    // With --out: no file at all (not a 0-byte one, not a partial one).
    const out = join(dir, 'down-out.csv');
    const withOut = await run(['export', '--config', cfg, '--segment', 'acme-converters', '--format', 'csv', '--out', out]);
    expect(withOut.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('an unknown segment is a usage error that lists the known ones, and writes nothing', async () => {
    const dataDir = join(dir, 'unknown-data');
    const store = new FileStore({ dir: join(dataDir, 'segments'), ttlMs: 30 * DAY_MS });
    await store.open();
    await Promise.all([event({ segment: 'acme-converters' }), event({ segment: 'bidwell-impressions' })].map((e) => store.write(e)));
    await store.close();
    const cfg = writeConfig(dir, collectorConfig(op, dataDir), 'unknown.json');
    const out = join(dir, 'unknown-out.csv');
    const r = await run(['export', '--config', cfg, '--segment', 'acme-convertors', '--format', 'csv', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no segment "acme-convertors" here; known segments: acme-converters, bidwell-impressions');
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('a --data-dir without collector data is a usage error that says which setting to fix', async () => {
    const cfg = writeConfig(dir, collectorConfig(op, join(dir, 'no-such-dir')), 'nodata.json');
    const r = await run(['export', '--config', cfg, '--segment', 'acme-converters', '--format', 'csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no collector data in ${join(dir, 'no-such-dir')} (it does not exist)`);
    expect(r.stderr).toContain('--data-dir, COLLECTOR_DATA_DIR');
    expect(r.stdout).toBe('');
  });
});
