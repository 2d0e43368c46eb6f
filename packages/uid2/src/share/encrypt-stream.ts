// The sender's first step on both routes: raw UID2s in (one per line, from a file or stdin), sharing
// tokens out, in order and in bounded batches, so millions of lines pass in constant memory.
import type { EncryptionResult } from '../types.ts';

/** What encrypts: a started SharingClient (keys from /v2/key/sharing) or anything with its encrypt. */
export interface SharingEncrypter {
  encrypt(rawUid: string): EncryptionResult;
}

/** A raw UID2 as the operator issues it: base64 of 32 or 33 bytes. */
const RAW_UID = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9+/]{44}$/;

export interface EncryptedBatch {
  /** 0-based position of this batch in the run. */
  index: number;
  tokens: string[];
  /** Input lines read for this batch (including ones that could not be encrypted). */
  read: number;
  /** Lines that are not raw UID2s, or that the keys could not encrypt. */
  failed: number;
}

/** Reads raw UID2s and yields batches of sharing tokens. Blank lines are skipped. */
export async function* encryptInBatches(rawUids: AsyncIterable<string> | Iterable<string>, sharing: SharingEncrypter, batchSize: number): AsyncGenerator<EncryptedBatch> {
  let batch: EncryptedBatch = { index: 0, tokens: [], read: 0, failed: 0 };
  for await (const line of rawUids) {
    const raw = line.trim();
    if (raw === '') continue;
    batch.read++;
    const r = RAW_UID.test(raw) ? sharing.encrypt(raw) : null;
    if (r?.status === 'Success' && r.token) batch.tokens.push(r.token);
    else batch.failed++;
    if (batch.tokens.length >= batchSize) {
      yield batch;
      batch = { index: batch.index + 1, tokens: [], read: 0, failed: 0 };
    }
  }
  if (batch.read > 0) yield batch;
}
