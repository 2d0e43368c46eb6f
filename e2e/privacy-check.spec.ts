// The privacy check the story specs rely on must be able to fail: it finds an email or a raw UID2 in
// every spelling a page could put on the wire, and passes a request that carries only a token.
import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { identifyingForms, leaks, type RecordedRequest } from './support/privacy.ts';

const email = ' Jane.Doe+Shoes@Example.com ';
const rawUid = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcdE=';
const forms = identifyingForms({ emails: [email], rawUids: [rawUid] });
const request = (url: string, postData: string | null = null, headers: Record<string, string> = {}): RecordedRequest => ({ method: 'GET', url, headers, postData });
const sha = (text: string) => createHash('sha256').update(text).digest();

test('finds the email and the raw UID2 in every wire spelling', () => {
  const normalized = 'jane.doe+shoes@example.com';
  const cases = [
    request(`https://c.example/p?e=${encodeURIComponent(email)}`),
    request(`https://c.example/p?e=${normalized}`),
    request('https://c.example/p', JSON.stringify({ email_hash: sha(normalized).toString('base64') })),
    request(`https://c.example/p?h=${sha(normalized).toString('hex')}`),
    request(`https://c.example/p?h=${sha(normalized).toString('base64url')}`),
    request('https://c.example/p', null, { referer: `https://shop.example/thanks?email=${encodeURIComponent(normalized)}` }),
    request(`https://c.example/p?u=${encodeURIComponent(rawUid)}`),
    request(`https://c.example/p?u=${Buffer.from(rawUid, 'base64').toString('base64url')}`),
    request(`https://c.example/p?u=${Buffer.from(rawUid, 'base64').toString('hex')}`),
  ];
  for (const leaky of cases) expect(leaks([leaky], forms).length, leaky.url).toBeGreaterThan(0);
});

test('passes a request that carries only a token', () => {
  const token = 'A4AAAAABIrnRsaHcNX0ya_B3bcuR7ADlE9tb8rlcZruGIbyUqggBBfkw5aCqXk0aZ4Zc9uGHrKxXq3m1c2WGcb8HS5pTRsMNXG9mw';
  expect(leaks([request(`https://c.example/pixel/conversion?order=A1&uid2_token=${token}`)], forms)).toEqual([]);
});
