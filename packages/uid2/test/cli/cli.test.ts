// The `uid2` bin, spawned for real: help, decrypt/encrypt against the SDK vectors (exact output lines,
// key order included), streaming stdin, hash-email/hash-phone, and every usage / keys-file error.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64 } from '../../src/dii/hash.ts';
import { STATUS_FROM_SDK, VERSION_FROM_SDK, vectors, type TokenCase, type VectorExpected } from '../vectors.ts';
import { loadVectors } from '../dii/vectors.ts';
import { lines, runCli } from './run-cli.ts';

let dir: string;
const keysFile = (keyset: string): string => join(dir, `${keyset}.json`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'uid2-cli-test-'));
  for (const [name, body] of Object.entries(vectors.keysets)) {
    writeFileSync(keysFile(name), JSON.stringify(body), { mode: 0o600 });
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The exact line `uid2 decrypt` must print for a vector's expected result. */
function expectedLine(expected: VectorExpected): string {
  const success = expected.status === 'SUCCESS';
  return JSON.stringify({
    status: STATUS_FROM_SDK[expected.status],
    // Our codec gives no uid for a non-Success status (a deliberate divergence, see token/decrypt.ts).
    uid: success ? expected.uid : null,
    siteId: expected.site_id,
    established: expected.established_ms,
    identityType: expected.identity_type,
    identityScope: expected.identity_scope,
    tokenVersion: expected.advertising_token_version === null ? null : VERSION_FROM_SDK[expected.advertising_token_version],
    isClientSideGenerated: expected.is_client_side_generated,
    expires: expected.expiry_ms,
    siteKeySiteId: expected.site_key_site_id,
  });
}

const comparable = (c: TokenCase): boolean =>
  c.match === 'exact' && !c.tags.some((t) => t === 'privacy-bits' || t.startsWith('divergence:') || t === 'quirk:lenient-base64');

describe('uid2 --help', () => {
  it('prints help at the top level and for every command', async () => {
    const commands = ['decrypt', 'encrypt', 'hash-email', 'hash-phone', 'keys', 'map'];
    const results = await Promise.all([runCli(['--help']), ...commands.map((c) => runCli([c, '--help'])), runCli(['help', 'keys'])]);
    const [top, ...rest] = results;
    expect(top!.code).toBe(0);
    for (const c of commands) expect(top!.stdout).toContain(`  ${c}`);
    rest.slice(0, commands.length).forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: uid2 ${commands[i]}`));
      expect(result.stdout).toContain('--help');
    });
    expect(rest.at(-1)!.stdout).toMatch(/^Usage: uid2 keys/);
  });

  it('exits 2 with usage on stderr for no command, an unknown command or an unknown option', async () => {
    const [none, unknown, option] = await Promise.all([runCli([]), runCli(['frobnicate']), runCli(['decrypt', '--kees', 'x'])]);
    expect([none.code, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toContain('Usage: uid2 <command>');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("uid2 decrypt: Unknown option '--kees'");
  });
});

describe('uid2 decrypt', () => {
  it('prints the vector answers for tokens on stdin, one exact line per token, in order', async () => {
    // The three largest groups of cases sharing keys, client and clock: one process each.
    const groups = new Map<string, TokenCase[]>();
    for (const c of vectors.cases.filter((x) => comparable(x) && x.token !== '')) {
      // (an empty token is a blank line on stdin, which is skipped: it is tested as an argument below)
      const key = `${c.keyset}|${c.client}|${c.now_ms}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const largest = [...groups.values()].sort((a, b) => b.length - a.length).slice(0, 3);
    expect(largest.reduce((n, g) => n + g.length, 0)).toBeGreaterThanOrEqual(20);
    const results = await Promise.all(
      largest.map((group) =>
        runCli(['decrypt', '--keys', keysFile(group[0]!.keyset), '--now', String(group[0]!.now_ms), '--client', group[0]!.client], {
          stdin: group.map((c) => c.token).join('\n') + '\n',
        }),
      ),
    );
    results.forEach((result, i) => {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual(largest[i]!.map((c) => expectedLine(c.expected)));
    });
  });

  it('takes tokens as arguments, --now as ISO 8601, and the bidstream client', async () => {
    const success = vectors.cases.find((c) => c.id === 'v4-uid2-email-success')!;
    const expired = vectors.cases.find((c) => c.id === 'v4-expired')!;
    const bidstream = vectors.cases.find((c) => c.id === 'v3-generated-future-bidstream')!;
    const empty = vectors.cases.find((c) => c.id === 'empty-token')!;
    const [a, b, c] = await Promise.all([
      runCli(['decrypt', '--keys', keysFile('main'), '--now', new Date(success.now_ms).toISOString(), success.token, empty.token]),
      runCli(['decrypt', '--keys', keysFile('main'), '--now', String(expired.now_ms), expired.token]),
      runCli(['decrypt', '--keys', keysFile('main'), '--now', String(bidstream.now_ms), '--client', 'bidstream', bidstream.token]),
    ]);
    expect(lines(a.stdout)).toEqual([
      expectedLine(success.expected),
      '{"status":"InvalidPayload","uid":null,"siteId":null,"established":null,"identityType":null,"identityScope":null,"tokenVersion":null,"isClientSideGenerated":null,"expires":null,"siteKeySiteId":null}',
    ]);
    expect(lines(a.stdout)[1]).toBe(expectedLine(empty.expected));
    expect(lines(b.stdout)).toEqual([expectedLine(expired.expected)]);
    expect(lines(c.stdout)).toEqual([expectedLine(bidstream.expected)]);
  });

  it('streams a large stdin (30,000 tokens, CRLF and blank lines) with constant output per token', async () => {
    const c = vectors.cases.find((x) => x.id === 'v4-uid2-email-success')!;
    const input = Array.from({ length: 30_000 }, (_, i) => (i % 1000 === 0 ? `${c.token}\r\n\n` : `${c.token}\n`)).join('');
    const result = await runCli(['decrypt', '--keys', keysFile('main'), '--now', String(c.now_ms)], { stdin: input });
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out).toHaveLength(30_000);
    expect(new Set(out)).toEqual(new Set([expectedLine(c.expected)]));
  });
});

describe('uid2 encrypt', () => {
  it('encrypts the vector raw UID2s with the vector statuses, and decrypt reads the tokens back', async () => {
    const cases = vectors.sharing_encrypt.filter((c) => c.keyset === 'main' && c.expected_encrypt.status !== null).slice(0, 5);
    const encrypted = await Promise.all(
      cases.map((c) =>
        runCli(['encrypt', '--keys', keysFile('main'), '--now', String(c.now_ms), ...(c.keyset_id === null ? [] : ['--keyset-id', String(c.keyset_id)]), c.raw_uid]),
      ),
    );
    const roundTrips: Array<Promise<void>> = [];
    cases.forEach((c, i) => {
      const [line] = lines(encrypted[i]!.stdout);
      const parsed = JSON.parse(line!) as { status: string; token: string | null };
      expect(Object.keys(parsed)).toEqual(['status', 'token']);
      expect(parsed.status).toBe(STATUS_FROM_SDK[c.expected_encrypt.status!]);
      if (parsed.status !== 'Success') return expect(parsed.token).toBeNull();
      const check = (c.decrypt ?? []).find((d) => d.client === 'sharing');
      if (check === undefined) return;
      roundTrips.push(
        runCli(['decrypt', '--keys', keysFile('main'), '--now', String(check.now_ms), parsed.token!]).then((result) => {
          expect(lines(result.stdout)).toEqual([expectedLine(check.expected)]);
        }),
      );
    });
    expect(roundTrips.length).toBeGreaterThan(2);
    await Promise.all(roundTrips);
  });

  it('reads raw UID2s from stdin and answers a failure per bad line', async () => {
    const c = vectors.sharing_encrypt.find((x) => x.expected_encrypt.status === 'SUCCESS')!;
    const result = await runCli(['encrypt', '--keys', keysFile(c.keyset), '--now', String(c.now_ms)], { stdin: `${c.raw_uid}\nnot-a-raw-uid\n` });
    const [ok, bad] = lines(result.stdout).map((l) => JSON.parse(l) as { status: string; token: string | null });
    expect(ok!.status).toBe('Success');
    expect(ok!.token).toMatch(/^[A-Za-z0-9_-]{200,}$/);
    expect(bad).toEqual({ status: 'EncryptionFailure', token: null });
  });
});

describe('keys file and option errors', () => {
  it('exits 2 naming the file, or the field, or the option', async () => {
    const notJson = join(dir, 'not-json.json');
    const badField = join(dir, 'bad-field.json');
    writeFileSync(notJson, '{"keys": [', { mode: 0o600 });
    const main = vectors.keysets.main as { keys: Array<Record<string, unknown>> };
    writeFileSync(badField, JSON.stringify({ ...main, keys: [{ ...main.keys[0], secret: 42 }] }), { mode: 0o600 });
    const [missing, json, field, noKeys, badNow, badClient, badKeyset] = await Promise.all([
      runCli(['decrypt', '--keys', join(dir, 'absent.json'), 'x']),
      runCli(['decrypt', '--keys', notJson, 'x']),
      runCli(['encrypt', '--keys', badField, 'x']),
      runCli(['decrypt', 'x']),
      runCli(['decrypt', '--keys', keysFile('main'), '--now', 'yesterday', 'x']),
      runCli(['decrypt', '--keys', keysFile('main'), '--client', 'dsp', 'x']),
      runCli(['encrypt', '--keys', keysFile('main'), '--keyset-id', '1.5', 'x']),
    ]);
    for (const r of [missing, json, field, noKeys, badNow, badClient, badKeyset]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(missing.stderr).toContain(`cannot read keys file ${join(dir, 'absent.json')} (ENOENT)`);
    expect(json.stderr).toContain(`keys file ${notJson} is not JSON`);
    expect(field.stderr).toContain('keys[0].secret');
    expect(noKeys.stderr).toContain('--keys is required');
    expect(badNow.stderr).toContain('--now must be Unix milliseconds or an ISO 8601 date');
    expect(badClient.stderr).toContain('--client must be sharing or bidstream');
    expect(badKeyset.stderr).toContain('--keyset-id must be an integer');
    // Key secrets never appear in error output.
    for (const key of main.keys) expect(field.stderr).not.toContain(String(key.secret));
  });

  it('warns when the keys file is readable by others', async () => {
    const open = join(dir, 'world-readable.json');
    writeFileSync(open, JSON.stringify(vectors.keysets.main));
    chmodSync(open, 0o644);
    const result = await runCli(['decrypt', '--keys', open, 'x']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('is readable by other users (mode 644)');
  });
});

describe('uid2 hash-email / hash-phone', () => {
  const { normalization } = loadVectors();

  it('prints the normalised value and hash of the vector inputs', async () => {
    const emails = normalization.email.filter((v) => v.valid && !v.input.includes('\n')).slice(0, 4);
    const phones = normalization.phone.filter((v) => v.valid && /^[\x00-\x7f]*$/.test(v.input));
    const results = await Promise.all([...emails.map((v) => runCli(['hash-email', v.input])), ...phones.map((v) => runCli(['hash-phone', v.input]))]);
    emails.forEach((v, i) => {
      expect(results[i]!.code).toBe(0);
      expect(JSON.parse(results[i]!.stdout)).toEqual({ normalized: v.normalized, hash: v.normalize_and_hash });
    });
    phones.forEach((v, i) => {
      const result = results[emails.length + i]!;
      expect(JSON.parse(result.stdout)).toEqual({ normalized: v.input, hash: v.normalize_and_hash });
      expect(result.stdout.trim()).toBe(JSON.stringify({ normalized: v.input, hash: sha256Base64(v.input) }));
    });
  });

  it('exits 1 with a clear message for invalid input, including non-ASCII digits (our divergence)', async () => {
    const arabic = normalization.phone.find((v) => v.description.startsWith('Arabic-Indic'))!;
    const [email, phone, digits, none] = await Promise.all([
      runCli(['hash-email', 'hilo@sarugu@rulo.com']),
      runCli(['hash-phone', '+1 (234) 567-8901']),
      runCli(['hash-phone', arabic.input]),
      runCli(['hash-email']),
    ]);
    expect([email.code, email.stdout]).toEqual([1, '']);
    expect(email.stderr).toContain('not a valid email address');
    expect(email.stderr).not.toContain('sarugu');
    expect([phone.code, phone.stdout]).toEqual([1, '']);
    expect(phone.stderr).toContain('not an E.164 phone number');
    expect(digits.code).toBe(1);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('expected exactly one VALUE');
  });
});
