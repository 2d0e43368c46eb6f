// Batches decrypted on threads (src/decrypt-threads.ts) answer exactly as the receiver's SharingClient
// does on the main thread, token by token: the real operator's keys, real worker threads. Also: a batch
// after a key refresh uses the new keys, several threads share the work, and a thread that stops has
// its batches decrypted on the main thread (nothing lost, the failure reported, no restart storm).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharingClient, type TokenKeyIds } from '@uid2-pixels/uid2';
import { ThreadedDecrypter } from '../src/decrypt-threads.ts';
import type { DecryptedBatch } from '../src/decrypter.ts';
import { acmeSharesWithCollector, encryptFor, makeRawUid, sender, SITES, startTestOperator, type TestOperator } from './helpers/stack.ts';

describe('ThreadedDecrypter', () => {
  let op: TestOperator;
  let receiver: SharingClient;
  let tokens: string[];

  beforeAll(async () => {
    op = await startTestOperator();
    receiver = new SharingClient({ ...op.credentials(SITES.lumen), refreshIntervalMs: 3_600_000 });
    await receiver.start();
    receiver.stop();
    const [acme, bidwell, rival] = await Promise.all([sender(op, SITES.acme), sender(op, SITES.bidwell), sender(op, SITES.rival)]);
    const acmeToken = encryptFor(acme, makeRawUid());
    // Every kind of answer: two senders who share with us, one who does not, email and phone UID2s,
    // a token cut short, one with a character changed, garbage, an empty string.
    tokens = [];
    for (let i = 0; i < 300; i++) {
      tokens.push(encryptFor(i % 2 ? acme : bidwell, makeRawUid(i % 3 ? 'Email' : 'Phone')));
      if (i % 10 === 0) tokens.push(encryptFor(rival, makeRawUid()));
    }
    tokens.push(acmeToken.slice(0, 40), acmeToken.slice(0, 20) + (acmeToken[20] === 'A' ? 'B' : 'A') + acmeToken.slice(21), 'not a token', '');
  }, 60_000);

  afterAll(async () => {
    await op?.close();
  });

  /** Every token of the batch read back, as the main thread's decrypt gives it now. */
  function expectSameAsMainThread(batch: DecryptedBatch, sent: readonly string[], client: SharingClient = receiver): Set<string> {
    expect(batch.length).toBe(sent.length);
    const statuses = new Set<string>();
    const fromThread: TokenKeyIds = { masterKeyId: null, siteKeyId: null };
    const fromMain: TokenKeyIds = { masterKeyId: null, siteKeyId: null };
    for (let i = 0; i < sent.length; i++) {
      const { status, uid, siteId, identityType, tokenVersion } = batch.at(i, fromThread);
      const want = client.decrypt(sent[i]!, fromMain);
      expect({ i, status, uid, siteId, identityType, tokenVersion, keyIds: { ...fromThread } }).toEqual({
        i, status: want.status, uid: want.uid, siteId: want.siteId, identityType: want.identityType, tokenVersion: want.tokenVersion, keyIds: { ...fromMain },
      });
      statuses.add(status);
    }
    return statuses;
  }

  it('answers on a thread exactly as decrypt does on the main thread, token by token', async () => {
    const threaded = new ThreadedDecrypter(receiver, { threads: 1 });
    try {
      const statuses = expectSameAsMainThread(await threaded.decryptMany(tokens), tokens);
      expect(threaded.threads).toBe(1);
      expect([...statuses].sort()).toEqual(['InvalidPayload', 'NotAuthorizedForKey', 'Success']);
      // The same thread takes the next batch, with the ring it already holds.
      expectSameAsMainThread(await threaded.decryptMany(tokens.slice(0, 50)), tokens.slice(0, 50));
      expect(threaded.threads).toBe(1);
    } finally {
      await threaded.close();
    }
  });

  it('a batch after a key refresh is decrypted with the new keys', async () => {
    const threaded = new ThreadedDecrypter(receiver, { threads: 1 });
    try {
      expect(expectSameAsMainThread(await threaded.decryptMany(tokens), tokens)).toContain('Success');
      await acmeSharesWithCollector(op, 'revoke');
      await receiver.refreshKeys();
      // Acme's tokens no longer open, on the thread as on the main thread.
      const after = await threaded.decryptMany(tokens);
      expectSameAsMainThread(after, tokens);
      const acmeSite = (i: number) => after.at(i, { masterKeyId: null, siteKeyId: null }).siteId;
      expect(tokens.some((_t, i) => acmeSite(i) === SITES.acme)).toBe(false);
    } finally {
      await acmeSharesWithCollector(op, 'grant');
      await receiver.refreshKeys();
      await threaded.close();
    }
  });

  it('shares batches over several threads, each answered right', async () => {
    const threaded = new ThreadedDecrypter(receiver, { threads: 2 });
    try {
      const batches = [0, 1, 2, 3, 4, 5].map((k) => tokens.slice(k * 50, k * 50 + 80));
      const answers = await Promise.all(batches.map((b) => threaded.decryptMany(b)));
      expect(threaded.threads).toBe(2);
      answers.forEach((a, k) => expectSameAsMainThread(a, batches[k]!));
    } finally {
      await threaded.close();
    }
  });

  it('a thread that stops: its batches are decrypted on the main thread, the failure reported, no restart at once', async () => {
    const failures: Error[] = [];
    const threaded = new ThreadedDecrypter(receiver, {
      threads: 1,
      script: new URL('./helpers/exiting-thread.mjs', import.meta.url),
      onThreadFailure: (err) => failures.push(err),
    });
    try {
      const [a, b] = await Promise.all([threaded.decryptMany(tokens), threaded.decryptMany(tokens.slice(7))]);
      expectSameAsMainThread(a, tokens);
      expectSameAsMainThread(b, tokens.slice(7));
      expect(failures.map((e) => e.message)).toEqual(['decrypt thread exited with code 3']);
      expect(threaded.threads).toBe(0);
      // The next batch stays on the main thread for a while instead of starting a thread that may fail again.
      expectSameAsMainThread(await threaded.decryptMany(tokens), tokens);
      expect(threaded.threads).toBe(0);
      expect(failures).toHaveLength(1);
    } finally {
      await threaded.close();
    }
  });

  it('before the first keys, and after close, batches are answered on the main thread', async () => {
    const empty = new SharingClient({ ...op.credentials(SITES.lumen), refreshIntervalMs: 3_600_000 });
    const unsynced = new ThreadedDecrypter(empty, { threads: 1 });
    const batch = await unsynced.decryptMany(tokens);
    expect(expectSameAsMainThread(batch, tokens, empty)).toEqual(new Set(['NotInitialized']));
    expect(unsynced.threads).toBe(0);

    const closed = new ThreadedDecrypter(receiver, { threads: 1 });
    await closed.close();
    expectSameAsMainThread(await closed.decryptMany(tokens), tokens);
    expect(closed.threads).toBe(0);
  });
});
