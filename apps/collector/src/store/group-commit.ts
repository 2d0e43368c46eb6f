// Group commit, shared by the stores: items added while a commit is in flight wait and go together in
// the next one, so one fdatasync (or one Redis round) makes a whole batch durable. Every caller gets
// the promise of the batch its item is in, resolved only after that batch's commit succeeded.

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

export class GroupCommit<T> {
  private batch: Batch<T> | null = null;
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private paused = false;

  /** `commit` makes a batch durable or throws; `onCommitted` gets its duration (s) and size. */
  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly onCommitted?: (seconds: number, items: number) => void,
  ) {}

  /** Queues items; resolves when the batch they joined is committed, rejects if that commit failed. */
  add(items: readonly T[]): Promise<void> {
    this.batch ??= newBatch();
    for (const item of items) this.batch.items.push(item);
    this.schedule();
    return this.batch.promise;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || this.paused) return;
    this.scheduled = true;
    // setImmediate lets every request already read from the sockets join this batch.
    setImmediate(() => {
      this.scheduled = false;
      if (this.flushing || this.paused || !this.batch) return;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.batch) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.batch && !this.paused) {
      const batch = this.batch;
      this.batch = null;
      const started = performance.now();
      try {
        await this.commit(batch.items);
      } catch (err) {
        batch.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      this.onCommitted?.((performance.now() - started) / 1000, batch.items.length);
      batch.resolve();
    }
  }

  /** Stops starting commits and waits for the one in flight (compaction swaps files meanwhile). */
  async pause(): Promise<void> {
    this.paused = true;
    while (this.flushing) await this.flushing;
  }

  resume(): void {
    this.paused = false;
    if (this.batch) this.schedule();
  }

  /** Resolves once everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.batch || this.flushing || this.scheduled) {
      if (this.flushing) await this.flushing;
      else if (this.batch && !this.scheduled && !this.paused) this.schedule();
      else await new Promise((r) => setImmediate(r));
    }
  }
}
