// The operator base URL every client takes: a URL without its scheme fails when the client is made,
// saying what to write, instead of failing later as "operator unreachable".
import { describe, expect, it } from 'vitest';
import { checkBaseUrl, IdentityMapClient, IdentityMapV3Client, OptOutStatusClient, postEnveloped, PublisherClient, SharingClient, Uid2BaseUrlError } from '../../src/index.ts';

const credentials = { apiKey: 'UID2-C-L-1-abc', secret: Buffer.alloc(32, 1).toString('base64') };

describe('checkBaseUrl', () => {
  it('accepts http and https URLs, with a port or a base path', () => {
    for (const url of ['http://localhost:8080', 'https://operator-integ.uidapi.com', 'http://127.0.0.1:9/uid2/', 'HTTPS://EXAMPLE.COM']) expect(checkBaseUrl(url)).toBe(url);
  });

  it.each([
    ['localhost:18080', 'has no scheme: write it as http://localhost:18080 (or https://…)'],
    ['operator.example.com', 'has no scheme: write it as http://operator.example.com (or https://…)'],
    ['//localhost:8080', 'has no scheme: write it as http://localhost:8080'],
    ['ftp://localhost:8080', 'must start with http:// or https://, not ftp://'],
    ['', 'is empty'],
    ['http://localhost:8080/?x=1', 'must not have a query or fragment'],
  ])('%j: %s', (url, words) => {
    expect(() => checkBaseUrl(url)).toThrow(Uid2BaseUrlError);
    expect(() => checkBaseUrl(url)).toThrow(words);
  });

  it('every client refuses such a URL when it is made, and postEnveloped before any request', async () => {
    const baseUrl = 'localhost:18080';
    expect(() => new SharingClient({ baseUrl, ...credentials })).toThrow('has no scheme');
    expect(() => new PublisherClient({ baseUrl, ...credentials })).toThrow('has no scheme');
    expect(() => new OptOutStatusClient({ baseUrl, ...credentials })).toThrow('has no scheme');
    expect(() => new IdentityMapClient({ baseUrl, ...credentials })).toThrow('has no scheme');
    expect(() => new IdentityMapV3Client({ baseUrl, ...credentials })).toThrow('has no scheme');
    let fetched = false;
    const fetch = (async () => {
      fetched = true;
      return new Response('');
    }) as typeof globalThis.fetch;
    await expect(postEnveloped({ baseUrl, ...credentials, fetch }, '/v2/key/sharing')).rejects.toMatchObject({ code: 'bad-base-url' });
    expect(fetched).toBe(false);
  });
});
