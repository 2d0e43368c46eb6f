import { describe, expect, it } from 'vitest';
import { buildConfig, DemoError } from '../src/index.ts';

describe('buildConfig', () => {
  it('defaults to the dev fixture participants and the default ports', () => {
    const config = buildConfig({});
    expect(config.ports).toEqual({ shop: 8101, publisher: 8102, dsp: 8103 });
    expect(config.shop.siteId).toBe(101);
    expect(config.shop.serverPublicKey).toMatch(/^UID2-X-L-/);
    expect(config.publisher.subscriptionId).toBe('O9RCOOEsS9');
    expect(config.dsp.apiKey).toMatch(/^UID2-C-L-102-/);
    expect(config.urls.shop).toBe('http://localhost:8101');
    expect(config.operatorServerUrl).toBe('http://localhost:8080');
  });

  it('a URL without its scheme says what to write, naming the flag and the variable', () => {
    expect(() => buildConfig({ operatorUrl: 'localhost:18080' })).toThrow(
      'operator URL (--operator-url, OPERATOR_URL) "localhost:18080" has no scheme: write it as http://localhost:18080',
    );
    expect(() => buildConfig({ collectorUrl: 'ftp://x' })).toThrow(DemoError);
  });

  it('takes ports, origins and credentials from its input', () => {
    const config = buildConfig({
      shopPort: '0', dspUrl: 'http://dsp.uid2.test:9000/ignored/path', dspApiKey: 'key', dspSecret: 'secret',
      shopSubscriptionId: 's', shopServerPublicKey: 'p', publisherSubscriptionId: 's2', publisherServerPublicKey: 'p2',
      fixture: '/nonexistent/never-read.json',
    });
    expect(config.ports.shop).toBe(0);
    expect(config.urls.dsp).toBe('http://dsp.uid2.test:9000');
    expect(config.dsp).toEqual({ siteId: 102, apiKey: 'key', secret: 'secret' });
  });

  it.each([
    [{ shopPort: '70000' }, /port/],
    [{ collectorUrl: 'ftp://x' }, /http/],
    [{ operatorUrl: 'not a url' }, /absolute/],
    [{ keyRefreshMs: '10' }, /1000/],
    [{ fixture: '/nonexistent/fixture.json' }, /cannot read/],
  ])('rejects bad input %o with a clear DemoError', (input, message) => {
    expect(() => buildConfig(input)).toThrow(DemoError);
    expect(() => buildConfig(input)).toThrow(message);
  });
});
