// Cluster mode with the embedded store: the file log needs exactly one writer, so the primary process
// owns the FileStore and the HTTP workers forward to it over the cluster IPC channel. A worker batches
// the events of one event-loop turn into one message (group commit again, one level up) and answers
// its pixels when the primary acknowledges that the batch is fdatasync'd.
import { CollectorError, StoreError } from '../errors.ts';
import { GroupCommit } from './group-commit.ts';
import type { HeldEvent, Member, MembersOptions, SegmentEvent, SegmentSize, SegmentStore } from './segment-store.ts';

const CHANNEL = 'uid2-collector';

interface Request {
  channel: typeof CHANNEL;
  id: number;
  op: string;
  args: unknown[];
}
interface Reply {
  channel: typeof CHANNEL;
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

/** Anything with process-style send/on('message'): `process` in a worker, a cluster Worker in the primary. */
interface Port {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

const isReply = (m: unknown): m is Reply => typeof m === 'object' && m !== null && (m as Reply).channel === CHANNEL && 'ok' in m;
const isRequest = (m: unknown): m is Request => typeof m === 'object' && m !== null && (m as Request).channel === CHANNEL && 'op' in m;

/** The worker side of the RPC channel. */
export class IpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** False once the channel to the other side is gone. */
  get connected(): boolean {
    const p = this.port as unknown as { connected?: boolean; isConnected?: () => boolean };
    return typeof p.isConnected === 'function' ? p.isConnected() : p.connected !== false;
  }

  constructor(private readonly port: Port = process as unknown as Port) {
    // The primary is gone: nothing pending will be answered, so fail it now (pixels get 503).
    (port as unknown as NodeJS.EventEmitter).on('disconnect', () => {
      for (const p of this.pending.values()) p.reject(new StoreError('STORE_UNAVAILABLE', 'the primary process is gone'));
      this.pending.clear();
    });
    port.on('message', (m) => {
      if (!isReply(m)) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(m.error?.code?.startsWith('STORE_')
        ? new StoreError(m.error.code as 'STORE_WRITE_FAILED', m.error.message)
        : new CollectorError(m.error?.code ?? 'IPC_FAILED', m.error?.message ?? 'primary failed'));
    });
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.port.send({ channel: CHANNEL, id, op, args } satisfies Request);
      } catch (err) {
        this.pending.delete(id);
        reject(new StoreError('STORE_UNAVAILABLE', `primary unreachable: ${(err as Error).message}`));
      }
    });
  }
}

/** A SegmentStore that forwards to the primary's store. */
export class IpcStore implements SegmentStore {
  readonly kind = 'ipc';
  private readonly commits: GroupCommit<SegmentEvent>;
  private readonly holds: GroupCommit<SegmentEvent>;
  private closed = false;

  constructor(private readonly client: IpcClient, readonly ttlMs: number) {
    // Several batches in flight: each joins the primary's next group commit as soon as it forms.
    this.commits = new GroupCommit((events) => client.call('write', events), { concurrency: 4 });
    // Holds too: a pixel's new UID2 is held (its opt-out decided off the answer path), one message per turn.
    this.holds = new GroupCommit((events) => client.call('holdMany', events), { concurrency: 4 });
  }

  async open(): Promise<void> {
    await this.client.call('ping');
  }

  write(event: SegmentEvent): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    return this.commits.add([event]);
  }

  writeMany(events: readonly SegmentEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    return events.length ? this.commits.add(events) : Promise.resolve();
  }

  hold(event: SegmentEvent): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    return this.holds.add([event]);
  }

  holdMany(events: readonly SegmentEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    return events.length ? this.holds.add(events) : Promise.resolve();
  }
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('STORE_CLOSED', 'segment store is closed'));
    return this.commits.add([]);
  }

  /** Connected to the primary (whose store's own health it cannot see; a failed commit still says so). */
  get healthy(): boolean {
    return !this.closed && this.client.connected;
  }

  held(limit: number): Promise<HeldEvent[]> {
    return this.client.call('held', limit);
  }
  heldCount(): Promise<number> {
    return this.client.call('heldCount');
  }
  release(ids: string[], admit: SegmentEvent[]): Promise<void> {
    return this.client.call('release', ids, admit);
  }
  remove(segment: string, uids: string[]): Promise<void> {
    return this.client.call('remove', segment, uids);
  }
  size(segment: string, now?: number): Promise<number> {
    return this.client.call('size', segment, now);
  }
  segments(now?: number): Promise<SegmentSize[]> {
    return this.client.call('segments', now);
  }

  async *members(segment: string, options: MembersOptions = {}): AsyncIterable<Member[]> {
    const cursor = await this.client.call<number>('membersOpen', segment, options);
    try {
      for (;;) {
        const batch = await this.client.call<Member[] | null>('membersNext', cursor);
        if (batch === null) return;
        yield batch;
      }
    } finally {
      await this.client.call('membersClose', cursor).catch(() => {});
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.commits.drain(), this.holds.drain()]);
    this.closed = true;
  }
}

/**
 * The primary side: answers one worker's requests from the real store (null when the workers have
 * their own, Redis). `extra` handles other operations (config, the metrics the primary aggregates).
 * `onHeld` runs after a worker's events were held (the primary's held resolver decides them soon).
 * Returns a function that drops the worker's cursors.
 */
export function serveStore(
  port: Port,
  store: SegmentStore | null,
  extra: Record<string, (...args: unknown[]) => Promise<unknown>> = {},
  onHeld: () => void = () => {},
): () => void {
  const cursors = new Map<number, AsyncIterator<Member[]>>();
  let nextCursor = 1;
  const storeOps: Record<string, (...args: never[]) => Promise<unknown>> = !store ? {} : {
    ping: async () => 'pong',
    // All of a worker's batch joins the primary's next group commit: one durable write for all workers.
    // A batch of only sync() callers still waits for (and reports) a commit of the primary's store.
    write: (events: SegmentEvent[]) => (events.length === 0 ? store.sync() : store.writeMany(events)),
    holdMany: async (events: SegmentEvent[]) => {
      await store.holdMany(events);
      onHeld();
    },
    held: (limit: number) => store.held(limit),
    heldCount: () => store.heldCount(),
    release: (ids: string[], admit: SegmentEvent[]) => store.release(ids, admit),
    remove: (segment: string, uids: string[]) => store.remove(segment, uids),
    size: (segment: string, now?: number | null) => store.size(segment, now ?? undefined),
    segments: (now?: number | null) => store.segments(now ?? undefined),
    membersOpen: async (segment: string, options: MembersOptions) => {
      const id = nextCursor++;
      cursors.set(id, store.members(segment, options)[Symbol.asyncIterator]());
      return id;
    },
    membersNext: async (id: number) => {
      const it = cursors.get(id);
      if (!it) return null;
      const r = await it.next();
      if (r.done) {
        cursors.delete(id);
        return null;
      }
      return r.value;
    },
    membersClose: async (id: number) => {
      await cursors.get(id)?.return?.();
      cursors.delete(id);
    },
  };
  const ops: Record<string, (...args: never[]) => Promise<unknown>> = { ...storeOps, ...extra };
  port.on('message', (m) => {
    if (!isRequest(m)) return;
    const fn = ops[m.op];
    const reply = (r: Omit<Reply, 'channel' | 'id'>) => {
      try {
        port.send({ channel: CHANNEL, id: m.id, ...r });
      } catch {
        // The worker is gone; its pixels were never answered, so nothing is lost by not replying.
      }
    };
    if (!fn) return reply({ ok: false, error: { code: 'IPC_UNKNOWN_OP', message: `unknown op ${m.op}` } });
    (fn as (...args: unknown[]) => Promise<unknown>)(...m.args).then(
      (value) => reply({ ok: true, value }),
      (err: Error & { code?: string }) => reply({ ok: false, error: { code: err.code ?? 'ERROR', message: err.message } }),
    );
  });
  return () => {
    for (const it of cursors.values()) void it.return?.();
    cursors.clear();
  };
}

