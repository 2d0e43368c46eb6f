// A decrypt thread that stops (exit code 3) on its first batch, as a thread that crashes would: a
// fault decryptToken itself cannot produce (it never throws). test/decrypt-threads.test.ts.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => process.exit(3));
