// Bidwell's retargeting audience for Acme Shop, kept by the DSP itself as DSPs do: Acme's checkout page
// fires Bidwell's retargeting pixel with a UID2 token the page made, and Acme shares with Bidwell in the
// portal, so the DSP can decrypt it. The raw UID2 stays in this process (never logged, never sent); the
// bid decision checks a bid request's reader against it. In memory, bounded and expiring: a restart of
// the demo forgets the audience (the shopper then checks out again).

export class Audience {
  private readonly members = new Map<string, number>();

  constructor(
    readonly maxMembers = 100_000,
    readonly ttlMs = 30 * 24 * 3600 * 1000,
  ) {}

  add(uid: string, now = Date.now()): void {
    // Re-inserting moves the member to the newest end: the Map's order is the eviction order.
    this.members.delete(uid);
    this.members.set(uid, now);
    if (this.members.size > this.maxMembers) this.members.delete(this.members.keys().next().value as string);
  }

  has(uid: string, now = Date.now()): boolean {
    const seen = this.members.get(uid);
    if (seen === undefined) return false;
    if (now - seen <= this.ttlMs) return true;
    this.members.delete(uid);
    return false;
  }

  get size(): number {
    return this.members.size;
  }
}
