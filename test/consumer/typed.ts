// A TypeScript consumer: type-checked (not run) under moduleResolution nodenext and bundler.
import { KeyRing, decryptToken, encryptRawUid, type DecryptionResult, type EncryptionResult } from '@uid2-pixels/uid2';
import { normalizeEmail } from '@uid2-pixels/uid2/dii';
import { SharingClient } from '@uid2-pixels/uid2/clients';

const ring: KeyRing = KeyRing.fromResponseBody({});
const decrypted: DecryptionResult = decryptToken('token', ring, { now: 0, client: 'sharing' });
const encrypted: EncryptionResult = encryptRawUid('raw', ring);
const email: string | null = normalizeEmail('a@example.com');
// The types are real, not `any`: a wrong use must be an error.
// @ts-expect-error normalizeEmail returns string | null
const wrong: number = normalizeEmail('a@example.com');
export const used = [decrypted.status, encrypted.token, email, wrong, SharingClient.name];
