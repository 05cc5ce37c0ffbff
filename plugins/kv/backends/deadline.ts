/**
 * Rejects calls that get no answer within a time limit, with one timer for all of
 * them. node-redis's own command timeout ends once a command is written, so a
 * server that hangs (stopped, not gone: its socket stays open) would keep a call
 * waiting for ever; and a timer per call would cost about as much as the call.
 * A call is rejected between `ms` and `ms` plus a quarter of it (at most 1 s more).
 */
export class Deadlines {
  private readonly pending = new Set<{ since: number; reject: (error: Error) => void }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ms: number,
    private readonly setting: string,
  ) {
    this.timer = setInterval(() => this.expire(), Math.max(10, Math.min(1_000, ms / 4)));
    this.timer.unref();
  }

  /** `call`, or a rejection once it has waited longer than the limit. */
  limit<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { since: performance.now(), reject };
      this.pending.add(entry);
      call.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  close(): void {
    clearInterval(this.timer);
  }

  private expire(): void {
    const now = performance.now();
    // oldest first: the set keeps insertion order
    for (const entry of this.pending) {
      if (now - entry.since < this.ms) break;
      this.pending.delete(entry);
      entry.reject(new Error(`no answer within ${this.ms} ms (${this.setting})`));
    }
  }
}
