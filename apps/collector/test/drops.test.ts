// File drops into the embedded default (a local directory) against the real operator and file store:
// CSV and NDJSON(.gz) files are ingested once through the intake, a report with line numbers appears
// beside each file, unreadable files (garbage, truncated gzip, a segment not granted) go to the failed
// area with their report and nothing of them is applied, and a restart does not ingest a file again.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharingClient } from '@uid2-pixels/uid2';
import type { CollectorConfig } from '../src/config.ts';
import { startCollector, type RunningCollector } from '../src/server.ts';
import { captureLogs, type CapturedLogs } from './helpers/logs.ts';
import { csvFile, dropFile, gz, ndjsonFile, readReport, waitFor } from './helpers/drops.ts';
import { ADMIN_TOKEN, collectorConfig, encryptFor, makeRawUid, optOutUser, sender, SITES, startTestOperator, tempDir, type TestOperator } from './helpers/stack.ts';
import { exportedMembers } from './helpers/http.ts';
import { DirectorySource, type DropObject, type DropSource } from '../src/drops/sources.ts';

let op: TestOperator;
let collector: RunningCollector;
let config: CollectorConfig;
let logs: CapturedLogs;
let dataDir: string;
let drops: string;
let acme: SharingClient;
let bidwell: SharingClient;
const secrets: string[] = [];

const tokenOf = (client: SharingClient, uid = makeRawUid()) => {
  const t = encryptFor(client, uid);
  secrets.push(t, uid);
  return { token: t, uid };
};

const exported = (segment: string) => exportedMembers(collector.url, ADMIN_TOKEN, segment);

const report = (key: string) => waitFor(() => readReport(drops, key), `report ${key}`);

beforeAll(async () => {
  op = await startTestOperator();
  dataDir = tempDir();
  drops = join(dataDir, 'drops');
  logs = captureLogs('debug');
  const base = collectorConfig(op, dataDir, { logLevel: 'debug' });
  config = { ...base, drops: { ...base.drops, source: 'dir', pollMs: 100, chunkLines: 50, reportMaxLines: 5 } };
  collector = await startCollector({ config, logger: logs.logger });
  [acme, bidwell] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell)]);
}, 30_000);

afterAll(async () => {
  await collector?.close();
  await op?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a dropped file', () => {
  it('CSV: every line through the intake; the report beside it counts them and names rejected lines', async () => {
    const good = Array.from({ length: 120 }, () => tokenOf(acme));
    const optedOut = tokenOf(acme, await optOutUser(op, `drop-out-${Date.now()}@example.com`));
    const foreign = tokenOf(bidwell);
    // line 1 header; 2..121 good; 122 blank; 123 garbage; 124 opted out; 125 Bidwell's token
    const text = csvFile(good.map((g) => g.token)) + '\n' + '999,%%%\n' + `1000,${optedOut.token}\n` + `1001,${foreign.token}\n`;
    dropFile(drops, `${SITES.acme}/acme-vip-drop/day-1.csv`, text);
    const r = await report(`${SITES.acme}/acme-vip-drop/day-1.csv.report.json`);
    expect(r).toMatchObject({
      object: `${SITES.acme}/acme-vip-drop/day-1.csv`,
      sender: SITES.acme,
      segment: 'acme-vip-drop',
      status: 'done',
      lines: 123,
      written: 120,
      held: 0,
      rejected: { invalid: 1, expired: 0, not_authorised: 1, opted_out: 1 },
      rejectedLines: [
        { line: 123, reason: 'invalid' },
        { line: 124, reason: 'opted_out' },
        { line: 125, reason: 'not_authorised' },
      ],
      rejectedLinesTruncated: false,
    });
    const members = await exported('acme-vip-drop');
    expect(members.map((m) => m.uid).sort()).toEqual(good.map((g) => g.uid).sort());
    expect(members[0]).toMatchObject({ lastKind: 'file', senderSiteId: SITES.acme });
  });

  it('NDJSON, gzipped, in several chunks; the report lists at most reportMaxLines rejected lines', async () => {
    const good = Array.from({ length: 130 }, () => tokenOf(acme));
    const lines = ndjsonFile(good.map((g) => g.token)) + Array.from({ length: 8 }, () => '{"token": 5}').join('\n') + '\n';
    dropFile(drops, `${SITES.acme}/acme-vip-nd/day-1.ndjson.gz`, gz(lines));
    const r = await report(`${SITES.acme}/acme-vip-nd/day-1.ndjson.gz.report.json`);
    expect(r).toMatchObject({ status: 'done', lines: 138, written: 130, rejected: { invalid: 8 }, rejectedLinesTruncated: true });
    expect(r.rejectedLines).toEqual([131, 132, 133, 134, 135].map((line) => ({ line, reason: 'invalid' })));
    expect((await exported('acme-vip-nd')).length).toBe(130);
  });
});

describe('a file that cannot be read goes to the failed area with its report, and nothing of it is applied', () => {
  const failed = async (key: string, content: string | Buffer, error: RegExp) => {
    dropFile(drops, key, content);
    const parts = key.split('/');
    const failedKey = [parts[0], 'failed', ...parts.slice(1)].join('/');
    const r = await report(`${failedKey}.report.json`);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(error);
    expect(existsSync(join(drops, failedKey))).toBe(true);
    expect(existsSync(join(drops, key))).toBe(false);
    return r;
  };

  it('garbage bytes', async () => {
    await failed(`${SITES.acme}/acme-vip-garbage/junk.csv`, randomBytes(64 * 1024), /no "token" column/);
    expect(await exported('acme-vip-garbage')).toEqual([]);
  });

  it('a truncated gzip: detected before a single line is written', async () => {
    const whole = gz(csvFile(Array.from({ length: 200 }, () => tokenOf(acme).token)));
    await failed(`${SITES.acme}/acme-vip-trunc/cut.csv.gz`, whole.subarray(0, Math.floor(whole.length * 0.8)), /gzip stream is corrupt or truncated/);
    expect(await exported('acme-vip-trunc')).toEqual([]);
  });

  it('NDJSON that is not JSON, a name of neither format, a segment the sender is not granted', async () => {
    await failed(`${SITES.acme}/acme-vip-x/a.ndjson`, 'hello\nworld\n', /not a JSON object/);
    await failed(`${SITES.acme}/acme-vip-x/a.txt`, 'token\n', /must end in \.csv/);
    await failed(`${SITES.acme}/bidwell-impressions/a.csv`, csvFile([tokenOf(acme).token]), /may not write segment/);
    expect(await exported('bidwell-impressions')).toEqual([]);
  });
});

describe('a read that ends early without an error', () => {
  // Seen under load with S3: a GET body that stopped mid-file as if the file ended there, and the file
  // was reported done with its cut-off last line as invalid. No real source does it on demand, so the
  // real directory source is wrapped to end its first reads of one file half way, mid-line.
  class EndsEarly implements DropSource {
    readonly kind = 'dir' as const;
    cuts = 0;
    constructor(private readonly inner: DirectorySource, private readonly key: string, private readonly times: number) {}
    list() {
      return this.inner.list();
    }
    async read(object: DropObject): Promise<AsyncIterable<Buffer>> {
      const body = await this.inner.read(object);
      if (object.key !== this.key || this.cuts >= this.times) return body;
      this.cuts++;
      const limit = Math.floor(object.size / 2);
      return (async function* () {
        let sent = 0;
        for await (const chunk of body) {
          const part = chunk.subarray(0, limit - sent);
          sent += part.length;
          if (part.length) yield part;
          if (sent >= limit) return;
        }
      })();
    }
    writeText(key: string, text: string) {
      return this.inner.writeText(key, text);
    }
    move(from: string, to: string) {
      return this.inner.move(from, to);
    }
    close() {}
  }

  it('is not taken for the end of the file: the object resumes and every line counts once', async () => {
    const dir = tempDir();
    const root = join(dir, 'drops');
    const key = `${SITES.acme}/acme-vip-cut/f.csv`;
    // the verify read (stopped after the first bytes anyway) and the first ingest read are cut
    const source = new EndsEarly(new DirectorySource(root), key, 2);
    const cutConfig: CollectorConfig = { ...config, dataDir: join(dir, 'data'), drops: { ...config.drops, dir: root } };
    const cut = await startCollector({ config: cutConfig, logger: logs.logger, dropSource: source });
    try {
      const good = Array.from({ length: 300 }, () => tokenOf(acme));
      dropFile(root, key, csvFile(good.map((g) => g.token)));
      const r = await waitFor(() => readReport(root, `${key}.report.json`), 'the report');
      expect(source.cuts).toBe(2);
      expect(r).toMatchObject({ status: 'done', lines: 300, written: 300, held: 0, rejected: { invalid: 0, expired: 0, not_authorised: 0, opted_out: 0 } });
      expect(logs.lines.some((l) => l.includes('drop ingestion interrupted') && l.includes('ended after'))).toBe(true);
      const members = await exportedMembers(cut.url, ADMIN_TOKEN, 'acme-vip-cut');
      expect(members.map((m) => m.uid).sort()).toEqual(good.map((g) => g.uid).sort());
    } finally {
      await cut.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exactly once', () => {
  it('a restarted collector does not ingest a finished file again; a file replaced under the same name is new', async () => {
    const key = `${SITES.acme}/acme-vip-once/f.csv`;
    const first = tokenOf(acme);
    dropFile(drops, key, csvFile([first.token]));
    const r1 = await report(`${key}.report.json`);
    await collector.close();
    collector = await startCollector({ config, logger: logs.logger });
    await collector.bulk.drops!.pass();
    expect(readReport(drops, `${key}.report.json`)!.finishedAt).toBe(r1.finishedAt);
    const text = await (await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(text).not.toMatch(/collector_drop_files_total\{result="done"\} [1-9]/);
    // replaced: another ETag, so another object
    await new Promise((r) => setTimeout(r, 20));
    const second = tokenOf(acme);
    dropFile(drops, key, csvFile([second.token]));
    await waitFor(() => readReport(drops, `${key}.report.json`)?.finishedAt !== r1.finishedAt, 'the second report');
    expect((await exported('acme-vip-once')).map((m) => m.uid).sort()).toEqual([first.uid, second.uid].sort());
  });

  it('no token or raw UID2 reaches a log line; no temp or stray files are left in the drop area', () => {
    const text = logs.lines.join('\n');
    for (const s of secrets) expect(text).not.toContain(s);
    const all = readdirSync(drops, { recursive: true }) as string[];
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
