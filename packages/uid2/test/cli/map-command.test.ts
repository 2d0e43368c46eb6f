// `uid2 map` (the real bin, as a child process) against the real local operator: arguments and stdin,
// one JSON line per value in input order, types, local invalid values, operator errors, --help.
import { describe, expect, it } from 'vitest';
import { sha256Base64 } from '../../src/dii/hash.ts';
import { IdentityMapV3Client } from '../../src/clients/identity-map-v3-client.ts';
import { IdentityMapV3Input } from '../../src/clients/identity-map-input.ts';
import { lines, runCli } from './run-cli.ts';
import { useLocalOperator } from './local-operator.ts';

const local = useLocalOperator('map');

function env(siteId: number): Record<string, string> {
  const { baseUrl, apiKey, secret } = local.credentials(siteId);
  return { UID2_BASE_URL: baseUrl, UID2_API_KEY: apiKey, UID2_SECRET: secret };
}

// Each test spawns the bin (tsx compiles it): seconds on a quiet machine, much more on a loaded one.
describe('uid2 map', { timeout: 120_000 }, () => {
  it('maps arguments, one JSON line each in input order, with the same answers as the client', async () => {
    const values = ['jane@example.com', '+12345678901', 'optout@example.com', 'not-an-email', 'Jane@Example.com'];
    const out = await runCli(['map', ...values], { env: env(107) });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const rows = lines(out.stdout).map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.input, r.status, r.reason])).toEqual([
      ['jane@example.com', 'mapped', undefined],
      ['+12345678901', 'mapped', undefined],
      ['optout@example.com', 'unmapped', 'optout'],
      ['not-an-email', 'unmapped', 'invalid identifier'],
      ['Jane@Example.com', 'mapped', undefined],
    ]);
    const viaClient = await new IdentityMapV3Client(local.credentials(107)).generateIdentityMap(
      IdentityMapV3Input.fromEmails(['jane@example.com']),
    );
    const jane = viaClient.mappedIdentities.get('jane@example.com')!;
    expect(rows[0]).toEqual({ input: 'jane@example.com', status: 'mapped', uid: jane.currentRawUid, previousUid: null, refreshFrom: jane.refreshFrom.getTime() });
    expect(rows[4].uid).toBe(jane.currentRawUid);
  });

  it('reads hashes from stdin with --type, skipping blank lines', async () => {
    const hash = sha256Base64('jane@example.com');
    const out = await runCli(['map', '--type', 'email_hash'], { env: env(107), stdin: `${hash}\n\n  bad-hash \r\n` });
    expect(out.code).toBe(0);
    const rows = lines(out.stdout).map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ input: hash, status: 'mapped' });
    expect(rows[1]).toEqual({ input: 'bad-hash', status: 'unmapped', reason: 'invalid identifier' });
  });

  it('fails with exit 1 and the HTTP status when the participant may not map', async () => {
    const out = await runCli(['map', 'jane@example.com'], { env: env(103) });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('HTTP 401');
    expect(out.stderr).not.toContain('jane@example.com');
  });

  it('has --help and refuses bad options with exit 2', async () => {
    const help = await runCli(['map', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: uid2 map /);
    const badType = await runCli(['map', '--type', 'fax', 'x'], { env: env(107) });
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('--type must be one of');
    const missing = await runCli(['map', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--base-url is required');
    const noScheme = await runCli(['map', 'x'], { env: { ...env(107), UID2_BASE_URL: 'localhost:18080' } });
    expect(noScheme.code).toBe(2);
    expect(noScheme.stderr).toContain('--base-url (or UID2_BASE_URL): the operator base URL "localhost:18080" has no scheme: write it as http://localhost:18080');
  });
});
