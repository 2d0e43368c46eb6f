// Decrypt threads: the bulk routes' batches (an API request, a chunk of a dropped file) are decrypted
// on worker threads beside the main thread. Decryption is most of a bulk token's cost (two AES-GCM
// layers, about 13 µs), and on the main thread it would leave every other step (parsing, authorising,
// opt-out, the durable write, answering) waiting; on a thread it runs while the main thread does them
// for other batches. Pixels (one token, answered at once) stay on the main thread.
//
// Each thread decrypts its batches in order with the key ring posted along with the batch whenever the
// receiver's ring has changed since that thread's last batch, at the time the batch was posted, so a
// thread answers exactly as SharingClient.decrypt would have then. Threads start with the first batch
// (a collector that only takes pixels never starts one) and do not keep the process alive. A thread
// that stops (it never should: decryptToken does not throw) has its batches decrypted on the main
// thread instead, and a new one is started 30 s later: a batch's answer is never lost.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { DecryptionResult, KeyRing, KeyRingInit, SharingClient, TokenKeyIds } from '@uid2-pixels/uid2';
import { decryptColumns, readColumns, type DecryptColumns } from './decrypt-columns.ts';
import type { DecryptedBatch, TokenDecrypter } from './decrypter.ts';

/** What the main thread posts to a thread. */
export interface DecryptJob {
  tokens: readonly string[];
  now: number;
  /** The ring to use from this batch on; absent: the thread's last one. */
  ring?: KeyRingInit;
}

interface Pending {
  tokens: readonly string[];
  ring: KeyRing;
  now: number;
  resolve: (batch: DecryptedBatch) => void;
}

interface Thread {
  worker: Worker;
  /** Batches posted and not answered yet, in the order posted (a thread answers in that order). */
  pending: Pending[];
  /** The ring this thread holds. */
  ring: KeyRing | null;
}

/** How long batches stay on the main thread after a thread stopped, before a new thread is tried. */
const RESTART_PAUSE_MS = 30_000;
/**
 * A thread's young generation, MB. Nearly everything a thread allocates dies within one token (the
 * decoded bytes, the ciphers, the result), so a small one costs little time, and by default V8 lets
 * it grow to tens of MB. On the bench's 2 GB file the collector peaked at 188–195 MB with 2 MB here,
 * 197–201 with 4, 233 with V8's default (175 without a thread).
 */
const THREAD_YOUNG_GENERATION_MB = 2;
const THREAD_SCRIPT = new URL('../bin/decrypt-thread.mjs', import.meta.url);

/**
 * Threads to use when the config does not say: the cores this process may have beside its main
 * thread (cores / processes - 1), at least 1, at most 4.
 */
export function defaultDecryptThreads(processes: number): number {
  return Math.max(1, Math.min(4, Math.floor(availableParallelism() / Math.max(1, processes)) - 1));
}

export interface ThreadedDecrypterOptions {
  /** Threads at most (started as batches need them). */
  threads: number;
  /** A thread stopped; its batches were decrypted on the main thread. */
  onThreadFailure?: (err: Error) => void;
  /** The thread's script; default bin/decrypt-thread.mjs (tests give one that fails). */
  script?: URL;
}

/** The receiver's SharingClient, with batches decrypted on threads. */
export class ThreadedDecrypter implements TokenDecrypter {
  readonly #sharing: SharingClient;
  readonly #options: ThreadedDecrypterOptions;
  readonly #threads: Thread[] = [];
  #closed = false;
  /** After a thread stopped, batches stay on the main thread until then (ms), so a thread that cannot start is not restarted for every batch. */
  #pausedUntil = 0;

  constructor(sharing: SharingClient, options: ThreadedDecrypterOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError('threads must be a whole number, at least 1');
    this.#sharing = sharing;
    this.#options = options;
  }

  decrypt(token: string, keyIds?: TokenKeyIds): DecryptionResult {
    return this.#sharing.decrypt(token, keyIds);
  }

  get isReady(): boolean {
    return this.#sharing.isReady;
  }

  keyAgeMs(): number | null {
    return this.#sharing.keyAgeMs();
  }

  /** Threads running now. */
  get threads(): number {
    return this.#threads.length;
  }

  decryptMany(tokens: readonly string[]): Promise<DecryptedBatch> {
    const ring = this.#sharing.keyRing;
    const now = Date.now(); // the clock SharingClient.decrypt uses (the collector gives it no other)
    // No keys: every token gets the same answer at once, no thread needed. Closed, or a thread just
    // failed: the main thread.
    if (ring === null || this.#closed || (this.#threads.length === 0 && Date.now() < this.#pausedUntil)) return Promise.resolve(readColumns(decryptColumns(tokens, ring, now)));
    const thread = this.#pick();
    return new Promise<DecryptedBatch>((resolve) => {
      const job: DecryptJob = { tokens, now };
      if (thread.ring !== ring) job.ring = ring.toInit();
      // Copies the tokens now (structured clone): the caller may drop them once this returns. They
      // stay referenced here only until the answer, for the main thread to decrypt if the thread stops.
      thread.worker.postMessage(job);
      thread.ring = ring;
      if (thread.pending.length === 0) thread.worker.ref();
      thread.pending.push({ tokens, ring, now, resolve });
    });
  }

  /** Stops the threads; batches still pending are decrypted on the main thread. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  /** The thread with the fewest batches pending, or a new one while there are fewer than allowed. */
  #pick(): Thread {
    let best: Thread | null = null;
    for (const t of this.#threads) if (best === null || t.pending.length < best.pending.length) best = t;
    if (best !== null && (best.pending.length === 0 || this.#threads.length >= this.#options.threads)) return best;
    return this.#start();
  }

  #start(): Thread {
    const worker = new Worker(this.#options.script ?? THREAD_SCRIPT, { name: 'decrypt', resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
    const thread: Thread = { worker, pending: [], ring: null };
    worker.unref();
    worker.on('message', (columns: DecryptColumns) => {
      const job = thread.pending.shift();
      if (thread.pending.length === 0) worker.unref();
      job?.resolve(readColumns(columns));
    });
    let failure: Error | null = null;
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      const i = this.#threads.indexOf(thread);
      if (i >= 0) this.#threads.splice(i, 1);
      if (!this.#closed) {
        this.#pausedUntil = Date.now() + RESTART_PAUSE_MS;
        this.#options.onThreadFailure?.(failure ?? new Error(`decrypt thread exited with code ${code}`));
      }
      for (const job of thread.pending.splice(0)) job.resolve(readColumns(decryptColumns(job.tokens, job.ring, job.now)));
    });
    this.#threads.push(thread);
    return thread;
  }
}
