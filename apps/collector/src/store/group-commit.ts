// Group commit, shared by the stores: items added while commits are in flight wait and go together in
// the next one, so one durable write (or one Redis round) covers a whole batch. Every caller gets the
// promise of the batch its item is in, resolved only after that batch's commit succeeded.
//
// Up to `concurrency` commits may be in flight (a new batch starts as soon as it forms instead of
// waiting for the previous one), but they are delivered in order: `deliver` and the callers' promises
// see batch k before batch k+1, whatever order the commits finish in.

interface Batch<T> {
  items: T[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function newBatch<T>(): Batch<T> {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody awaits (e.g. drained at close) must not become an unhandled rejection.
  promise.catch(() => {});
  return { items: [], promise, resolve, reject };
}

export interface GroupCommitOptions<T> {
  /** Commits in flight at once. Default 1. */
  concurrency?: number;
  /** Called in order after each successful commit, before its callers are resolved. */
  deliver?: (items: T[]) => void;
  /** Duration (s) and size of each successful commit. */
  onCommitted?: (seconds: number, items: number) => void;
}

export class GroupCommit<T> {
  private batch: Batch<T> | null = null;
  private scheduled = false;
  private paused = false;
  private inFlight = 0;
  /** Settles when every dispatched batch has been delivered. */
  private chain: Promise<void> = Promise.resolve();
  private readonly concurrency: number;

  /** `commit` makes a batch durable or throws. It is called when the batch is dispatched. */
  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions<T> = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Queues items; resolves when the batch they joined is committed, rejects if that commit failed. */
  add(items: readonly T[]): Promise<void> {
    const batch = (this.batch ??= newBatch());
    for (const item of items) batch.items.push(item);
    this.schedule();
    return batch.promise;
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.inFlight >= this.concurrency) return;
    this.scheduled = true;
    // setImmediate lets every request already read from the sockets join this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.batch && !this.paused && this.inFlight < this.concurrency) {
      const batch = this.batch;
      this.batch = null;
      this.inFlight++;
      const started = performance.now();
      let committed: Promise<void>;
      try {
        committed = this.commit(batch.items);
      } catch (err) {
        committed = Promise.reject(err);
      }
      committed.catch(() => {}); // handled in order below
      this.chain = this.chain
        .then(() => committed)
        .then(
          () => {
            this.options.deliver?.(batch.items);
            this.options.onCommitted?.((performance.now() - started) / 1000, batch.items.length);
            batch.resolve();
          },
          (err: unknown) => batch.reject(err instanceof Error ? err : new Error(String(err))),
        )
        .finally(() => {
          this.inFlight--;
          if (this.batch) this.schedule();
        });
    }
  }

  /** Stops dispatching and waits until every commit in flight is delivered. */
  async pause(): Promise<void> {
    this.paused = true;
    while (this.inFlight > 0) await this.chain;
  }

  resume(): void {
    this.paused = false;
    if (this.batch) this.schedule();
  }

  /** Resolves once everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.batch || this.inFlight > 0 || this.scheduled) {
      if (this.inFlight > 0) await this.chain;
      else if (this.batch && !this.scheduled && !this.paused) this.schedule();
      else await new Promise((r) => setImmediate(r));
    }
  }
}
