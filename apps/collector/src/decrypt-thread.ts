// A decrypt thread (started by decrypt-threads.ts through bin/decrypt-thread.mjs): decrypts the batches
// the main thread posts, in order, with the key ring that came with the batch or the last one that did.
import { parentPort } from 'node:worker_threads';
import { KeyRing } from '@uid2-pixels/uid2/keys';
import { decryptColumns } from './decrypt-columns.ts';
import type { DecryptJob } from './decrypt-threads.ts';

let ring: KeyRing | null = null;
const port = parentPort!;
port.on('message', (job: DecryptJob) => {
  if (job.ring) ring = new KeyRing(job.ring);
  const columns = decryptColumns(job.tokens, ring, job.now);
  port.postMessage(columns, [columns.numbers.buffer]);
});
