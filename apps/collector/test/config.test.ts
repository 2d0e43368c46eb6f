// Config precedence (defaults < file < env < flags) and validation that names the field.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.ts';
import { loadConfig, redactedConfig } from '../src/config.ts';
import { SenderAcl } from '../src/authorise.ts';

const base = {
  operator: { apiKey: 'UID2-C-L-104-abcdef.' + 'x'.repeat(38), secret: 'E+096E+i3ZZl0JJe3NtD0mZ/OMyf1HKEm7DXPVn7jH8=' },
  senders: [{ siteId: 101, segments: ['acme-converters', 'acme-vip-*'], defaults: { conversion: 'acme-converters' } }],
};

describe('loadConfig', () => {
  it('fills defaults: port 8090, data dir .data/collector, file store, 30-day membership', () => {
    const c = loadConfig({ base });
    expect(c).toMatchObject({ port: 8090, host: '127.0.0.1', dataDir: '.data/collector', membershipTtlDays: 30, workers: 1, store: { kind: 'file' } });
    expect(c.operator.keyRefreshMs).toBe(3_600_000);
    expect(c.limits.tokenMaxBytes).toBe(1024);
  });

  it('env beats the file, flags beat env', () => {
    const c = loadConfig({
      base: { ...base, port: 1000, dataDir: '/from/file' },
      env: { COLLECTOR_PORT: '2000', COLLECTOR_DATA_DIR: '/from/env', COLLECTOR_STORE: 'redis', COLLECTOR_REDIS_URL: 'redis://10.0.0.1:6379' },
      flags: { port: '3000' },
    });
    expect(c.port).toBe(3000);
    expect(c.dataDir).toBe('/from/env');
    expect(c.store).toEqual({ kind: 'redis', url: 'redis://10.0.0.1:6379', keyPrefix: 'uid2c' });
  });

  it('decrypt threads: unset by default (the server picks from the cores), env and flag set it, 0 allowed', () => {
    expect(loadConfig({ base }).decryptThreads).toBeUndefined();
    expect(loadConfig({ base, env: { COLLECTOR_DECRYPT_THREADS: '0' } }).decryptThreads).toBe(0);
    expect(loadConfig({ base, env: { COLLECTOR_DECRYPT_THREADS: '0' }, flags: { 'decrypt-threads': '3' } }).decryptThreads).toBe(3);
    expect(() => loadConfig({ base, flags: { 'decrypt-threads': '-1' } })).toThrow(/decryptThreads/);
  });

  it('switching the store kind by flag drops the other kind\'s fields', () => {
    const c = loadConfig({ base: { ...base, store: { kind: 'redis', url: 'redis://x:1' } }, flags: { store: 'redis-cluster', 'redis-nodes': 'a:1,b:2' } });
    expect(c.store).toEqual({ kind: 'redis-cluster', nodes: ['a:1', 'b:2'], keyPrefix: 'uid2c' });
  });

  it.each([
    [{ ...base, senders: [] }, 'senders'],
    [{ ...base, senders: [base.senders[0], base.senders[0]] }, 'senders.1.siteId'],
    [{ ...base, senders: [{ siteId: 101, segments: ['bad name!'] }] }, 'senders.0.segments.0'],
    [{ ...base, adminToken: 'short' }, 'adminToken'],
    [{ ...base, optout: { maxBatch: 6000 } }, 'optout.maxBatch'],
    [{ ...base, operator: { ...base.operator, url: 'ftp://x' } }, 'operator.url'],
  ])('rejects %j naming %s', (raw, field) => {
    try {
      loadConfig({ base: raw });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe(field);
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    }
  });

  it('an operator URL without its scheme says what to write and where', () => {
    expect(() => loadConfig({ base, flags: { 'operator-url': 'localhost:18080' } })).toThrow(
      'config: operator.url: must be an http(s) URL with its scheme, e.g. http://127.0.0.1:8080 (config file field operator.url, COLLECTOR_OPERATOR_URL, --operator-url)',
    );
  });

  it('a held-event takeover time no longer than two opt-out timeouts is refused, naming the field', () => {
    expect(loadConfig({ base }).optout.heldTakeoverMs).toBe(60_000);
    expect(loadConfig({ base: { ...base, optout: { timeoutMs: 5000, heldTakeoverMs: 10_001 } } }).optout.heldTakeoverMs).toBe(10_001);
    expect(() => loadConfig({ base: { ...base, optout: { timeoutMs: 5000, heldTakeoverMs: 10_000 } } })).toThrow(/heldTakeoverMs/);
    // Unset, it follows a long timeoutMs instead of making that config invalid.
    expect(loadConfig({ base: { ...base, optout: { timeoutMs: 30_000 } } }).optout.heldTakeoverMs).toBe(90_000);
    expect(loadConfig({ base: { ...base, optout: { timeoutMs: 5000 } } }).optout.heldTakeoverMs).toBe(60_000);
  });

  it('names the environment variable for a missing secret', () => {
    expect(() => loadConfig({ base: { senders: base.senders } })).toThrow(/operator/);
    expect(() => loadConfig({ base: { ...base, operator: { apiKey: 'k' } } })).toThrow(/COLLECTOR_OPERATOR_SECRET/);
  });

  it('redacts secrets for logging', () => {
    const shown = JSON.stringify(redactedConfig(loadConfig({ base: { ...base, adminToken: 'a'.repeat(40) } })));
    expect(shown).not.toContain(base.operator.secret);
    expect(shown).not.toContain('a'.repeat(40));
    expect(shown).not.toContain(base.operator.apiKey);
  });
});

describe('SenderAcl', () => {
  const acl = new SenderAcl(loadConfig({ base: { ...base, senders: [...base.senders, { siteId: 102, segments: ['dsp'] }] } }).senders);
  it('grants exact names and prefixes to their sender only', () => {
    expect(acl.allows(101, 'acme-converters')).toBe(true);
    expect(acl.allows(101, 'acme-vip-gold')).toBe(true);
    expect(acl.allows(101, 'acme-vipx')).toBe(false);
    expect(acl.allows(101, 'dsp')).toBe(false);
    expect(acl.allows(102, 'acme-converters')).toBe(false);
    expect(acl.allows(105, 'dsp')).toBe(false);
    expect(acl.defaultSegment(101, 'conversion')).toBe('acme-converters');
    expect(acl.defaultSegment(101, 'impression')).toBeUndefined();
  });
});
