// A CommonJS consumer of the installed tarball. Prints statuses and comparisons, never a UID2.
const { readFileSync } = require('node:fs');
const { KeyRing, decryptToken, encryptRawUid } = require('@uid2-pixels/uid2');
const { normalizeEmail } = require('@uid2-pixels/uid2/dii');

const input = JSON.parse(readFileSync('case.json', 'utf8'));
const ring = KeyRing.fromResponseBody(input.keys);
const decrypted = decryptToken(input.token, ring, { now: input.tokenNow, client: 'sharing' });
const encrypted = encryptRawUid(input.rawUid, ring, { now: input.encryptNow });
const back = encrypted.token === null ? null : decryptToken(encrypted.token, ring, { now: input.encryptNow });
console.log(JSON.stringify({
  decrypt: decrypted.status,
  uidMatches: decrypted.uid === input.expectedUid,
  encrypt: encrypted.status,
  roundTrip: back?.uid === input.rawUid,
  normalized: normalizeEmail(' Jane.Doe@Example.com'),
}));
