// `uid2 keys` against the real local operator, then its output as the --keys FILE of `uid2 decrypt`.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PublisherClient } from '../../src/clients/publisher-client.ts';
import { lines, runCli } from './run-cli.ts';
import { useLocalOperator } from './local-operator.ts';

const local = useLocalOperator('keys');

describe('uid2 keys', () => {
  it('prints the bidstream keys body, which decrypts a publisher token with uid2 decrypt', async () => {
    const dsp = local.credentials(102);
    const fetched = await runCli(['keys', '--base-url', dsp.baseUrl, '--api-key', dsp.apiKey, '--secret', dsp.secret, '--bidstream']);
    expect(fetched.stderr).toBe('');
    expect(fetched.code).toBe(0);
    const body = JSON.parse(fetched.stdout) as { keys: unknown[]; max_bidstream_lifetime_seconds?: number };
    expect(body.keys.length).toBeGreaterThan(0);
    expect(body.max_bidstream_lifetime_seconds).toBeTypeOf('number');
    const file = join(local.dir, 'bidstream.json');
    writeFileSync(file, fetched.stdout, { mode: 0o600 });

    const generated = await new PublisherClient(local.credentials(103)).generateToken({ email: 'cli.reader@dailyplanet.example' });
    if (generated.status !== 'success') throw new Error('expected an identity');
    const decrypted = await runCli(['decrypt', '--keys', file, '--client', 'bidstream'], { stdin: generated.identity.advertisingToken + '\n' });
    const [line] = lines(decrypted.stdout);
    expect(JSON.parse(line!)).toMatchObject({ status: 'Success', siteId: 103, identityType: 'Email', tokenVersion: 4 });
  });

  it('takes credentials from UID2_* env vars and writes --out owner-only', async () => {
    const acme = local.credentials(101);
    const out = join(local.dir, 'sharing.json');
    writeFileSync(out, 'stale', { mode: 0o644 }); // an existing file must end up 0600 too
    const result = await runCli(['keys', '--out', out], {
      env: { UID2_BASE_URL: acme.baseUrl, UID2_API_KEY: acme.apiKey, UID2_SECRET: acme.secret },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^uid2 keys: wrote \d+ keys to /);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const body = JSON.parse(readFileSync(out, 'utf8')) as { caller_site_id: number; default_keyset_id: number };
    expect(body.caller_site_id).toBe(101);

    const encrypted = await runCli(['encrypt', '--keys', out, Buffer.alloc(33, 5).toString('base64')]);
    expect(JSON.parse(lines(encrypted.stdout)[0]!)).toMatchObject({ status: 'Success' });
    expect(encrypted.stderr).toBe('');
  });

  it('says which --out file it cannot write, without a stack trace', async () => {
    const acme = local.credentials(101);
    const out = join(local.dir, 'no', 'such', 'dir', 'k.json');
    const result = await runCli(['keys', '--out', out], {
      env: { UID2_BASE_URL: acme.baseUrl, UID2_API_KEY: acme.apiKey, UID2_SECRET: acme.secret },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`uid2 keys: cannot write ${out} (ENOENT)\n`);
  });

  it('exits 1 on operator errors without printing credentials, and 2 without a base URL', async () => {
    const publisher = local.credentials(103); // GENERATOR only: not allowed on /v2/key/sharing
    const wrongSecret = { ...local.credentials(102), secret: local.credentials(101).secret };
    const [denied, badSecret, down, missing] = await Promise.all([
      runCli(['keys', '--base-url', publisher.baseUrl, '--api-key', publisher.apiKey, '--secret', publisher.secret]),
      runCli(['keys', '--base-url', wrongSecret.baseUrl, '--api-key', wrongSecret.apiKey, '--secret', wrongSecret.secret]),
      runCli(['keys', '--base-url', 'http://127.0.0.1:9', '--api-key', publisher.apiKey, '--secret', publisher.secret]),
      runCli(['keys', '--api-key', publisher.apiKey, '--secret', publisher.secret]),
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      'uid2 keys: POST /v2/key/sharing failed: HTTP 401 (unauthorized): the operator did not accept the API key: it is unknown or disabled, or its participant lacks the role /v2/key/sharing needs (SHARER or ID_READER; grant it in the portal)\n',
    );
    expect(badSecret.code).toBe(1);
    expect(badSecret.stderr).toContain('HTTP 400 (client_error)');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/operator unreachable (\(ECONNREFUSED\) )?at http:\/\/127.0.0.1:9: check that the operator runs there/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--base-url is required (or set UID2_BASE_URL)');
    for (const result of [denied, badSecret, down, missing]) {
      expect(result.stdout).toBe('');
      for (const secret of [publisher.apiKey, publisher.secret, wrongSecret.apiKey, wrongSecret.secret]) expect(result.stderr).not.toContain(secret);
    }
  });

  it('a base URL without its scheme is a usage error that says what to write, from the flag or the env', async () => {
    const acme = local.credentials(101);
    const port = new URL(acme.baseUrl).port;
    const [flag, env, scheme] = await Promise.all([
      runCli(['keys', '--base-url', `localhost:${port}`, '--api-key', acme.apiKey, '--secret', acme.secret]),
      runCli(['keys'], { env: { UID2_BASE_URL: `localhost:${port}`, UID2_API_KEY: acme.apiKey, UID2_SECRET: acme.secret } }),
      runCli(['keys', '--base-url', `ftp://localhost:${port}`, '--api-key', acme.apiKey, '--secret', acme.secret]),
    ]);
    for (const r of [flag, env]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`uid2 keys: --base-url (or UID2_BASE_URL): the operator base URL "localhost:${port}" has no scheme: write it as http://localhost:${port} (or https://…)\n`);
      expect(r.stdout).toBe('');
    }
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('must start with http:// or https://, not ftp://');
  });
});
