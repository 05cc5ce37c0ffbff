import type { InitContext, Logger, Plugin } from 'flavorkit';

/** What the greeter needs from a store: an interface, not a plugin class. */
export interface Store {
  increment(key: string): number;
}

/** An in-memory key/value counter store. */
export class MemoryStorePlugin implements Plugin, Store {
  private counts?: Map<string, number>;

  init(ctx: InitContext): void {
    this.counts = new Map();
    ctx.log.info('store ready');
  }

  increment(key: string): number {
    const next = (this.counts!.get(key) ?? 0) + 1;
    this.counts!.set(key, next);
    return next;
  }

  close(): void {
    this.counts = undefined;
  }
}

/** Logs a heartbeat while the agent serves. */
export class HeartbeatPlugin implements Plugin {
  private timer?: NodeJS.Timeout;
  private log?: Logger;

  init(ctx: InitContext): void {
    this.log = ctx.log;
  }

  afterInit(): void {
    this.timer = setInterval(() => this.log!.info('still alive'), 5_000);
  }

  beforeClose(): void {
    clearInterval(this.timer);
  }
}

/** Greets visitors, counting them in the store it was wired to. */
export class GreeterPlugin implements Plugin {
  deps!: { store: Store };

  init(ctx: InitContext): void {
    ctx.log.info('greeter wired to the store');
  }

  afterInit(ctx: InitContext): void {
    for (const name of ['Ada', 'Grace', 'Ada']) {
      const times = this.deps.store.increment(name);
      ctx.log.info(`hello ${name} (visit ${times})`);
    }
  }
}
