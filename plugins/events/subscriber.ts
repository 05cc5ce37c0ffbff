import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, messageOf } from '../../src/index.js';
import { backoffDelay } from './backoff.js';
import type { EventCounters, SubscriptionCounters } from './stats.js';
import type { Consumer, Delivery, Envelope } from './transport.js';
import { DEAD_LETTER_HEADERS, type Codec, type Handler, type SubscribeOptions } from './types.js';

/** What a subscriber needs from the plugin around it. */
export interface SubscriberContext {
  codec: Codec;
  counters: EventCounters;
  log: Logger;
  /** Publishes a dead letter; rejects when the broker cannot take it. */
  publishRaw(topic: string, message: Envelope): Promise<void>;
}

interface Work {
  delivery: Delivery;
  settled: boolean;
}

/**
 * Runs one subscription's handler over the deliveries of its consumer: at most
 * `concurrency` at once, one at a time per key in arrival order, failed
 * attempts retried with backoff, the last failure sent to the dead-letter
 * topic. `drain` stops taking messages, lets running handlers finish within a
 * limit, then aborts them; whatever is not done goes back to the broker.
 */
export class Subscriber {
  private readonly waiting: Delivery[] = [];
  private readonly running = new Set<Work>();
  private readonly busyKeys = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly aborting = new AbortController();
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly counts: SubscriptionCounters;
  private idle?: () => void;
  private started = false;
  consumer?: Consumer;

  constructor(
    readonly topic: string,
    readonly group: string | undefined,
    private readonly handler: Handler<unknown>,
    private readonly options: SubscribeOptions,
    private readonly ctx: SubscriberContext,
  ) {
    this.concurrency = options.concurrency ?? 1;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.counts = ctx.counters.subscription(topic, group);
  }

  /** Where dead letters of this subscription go, if anywhere. */
  get deadLetterTopic(): string | undefined {
    const target = this.options.deadLetter;
    return target === false ? undefined : (target ?? `${this.topic}.dead`);
  }

  /** Starts running the handler over the messages taken so far and those to come. */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** Takes a delivery from the consumer. */
  readonly receive = (delivery: Delivery): void => {
    if (this.stopping.signal.aborted) return delivery.retry();
    this.waiting.push(delivery);
    this.pump();
  };

  /**
   * Stops taking messages: those not started go back now, running handlers get
   * `limit` ms, then their signal is aborted and, after `grace` ms more, their
   * messages go back too, settled or not.
   */
  async drain(limit: number, grace: number): Promise<void> {
    this.stopping.abort();
    await this.consumer?.stop();
    for (const delivery of this.waiting.splice(0)) delivery.retry();
    await this.finish(limit, grace);
    await this.consumer?.close?.();
  }

  private async finish(limit: number, grace: number): Promise<void> {
    if (await this.whenIdle(limit)) return;
    this.ctx.log.warn(
      `${this.running.size} handler(s) of "${this.topic}" still running after ${limit} ms: aborting them`,
    );
    this.aborting.abort();
    if (await this.whenIdle(grace)) return;
    this.ctx.log.warn(
      `${this.running.size} handler(s) of "${this.topic}" ignored the abort: their messages go back to the broker`,
    );
    for (const work of this.running) this.settle(work, 'retry');
  }

  private pump(): void {
    while (this.started && this.running.size < this.concurrency) {
      const at = this.waiting.findIndex((d) => d.key === undefined || !this.busyKeys.has(d.key));
      if (at < 0) return;
      const [delivery] = this.waiting.splice(at, 1);
      void this.run({ delivery: delivery!, settled: false });
    }
  }

  private async run(work: Work): Promise<void> {
    const { delivery } = work;
    this.running.add(work);
    if (delivery.key !== undefined) this.busyKeys.add(delivery.key);
    this.counts.inFlight(1);
    try {
      await this.attempts(work);
    } finally {
      this.running.delete(work);
      if (delivery.key !== undefined) this.busyKeys.delete(delivery.key);
      this.counts.inFlight(-1);
      if (this.running.size === 0) this.idle?.();
      if (!this.stopping.signal.aborted) this.pump();
    }
  }

  private async attempts(work: Work): Promise<void> {
    const { delivery } = work;
    let data: unknown;
    try {
      data = this.ctx.codec.decode(delivery.body);
    } catch (err) {
      // a body that cannot be read will not read better next time
      return this.deadLetter(work, `cannot decode the message: ${messageOf(err)}`, 1);
    }
    for (let attempt = Math.max(1, delivery.deliveries); ; attempt++) {
      try {
        await this.handler({
          id: delivery.id,
          topic: this.topic,
          data,
          key: delivery.key,
          headers: delivery.headers,
          attempt,
          signal: this.aborting.signal,
        });
        if (this.settle(work, 'ack')) this.counts.delivered();
        return;
      } catch (err) {
        if (work.settled) return;
        if (this.aborting.signal.aborted) return void this.settle(work, 'retry');
        if (attempt >= this.maxAttempts) return this.deadLetter(work, describe(err), attempt);
        this.counts.retried();
        const waited = await sleep(backoffDelay(this.options.backoff, attempt), true, {
          signal: this.stopping.signal,
        }).catch(() => false);
        if (!waited) return void this.settle(work, 'retry');
        delivery.touch();
      }
    }
  }

  private async deadLetter(work: Work, error: string, attempts: number): Promise<void> {
    const { delivery } = work;
    const target = this.deadLetterTopic;
    try {
      if (target) {
        await this.ctx.publishRaw(target, {
          id: delivery.id,
          key: delivery.key,
          body: delivery.body,
          headers: {
            ...delivery.headers,
            [DEAD_LETTER_HEADERS.error]: error,
            [DEAD_LETTER_HEADERS.topic]: this.topic,
            [DEAD_LETTER_HEADERS.attempts]: String(attempts),
          },
        });
      }
      this.ctx.log.warn(
        `message ${delivery.id} of "${this.topic}" failed ${attempts} time(s), ` +
          (target ? `sent to "${target}"` : 'dropped') +
          `: ${error}`,
      );
      if (this.settle(work, 'ack')) this.counts.deadLettered();
    } catch (err) {
      // the dead-letter topic could not take it: the broker keeps the message
      this.ctx.log.error(
        `message ${delivery.id} of "${this.topic}" could not be dead-lettered (${messageOf(err)}); it will be redelivered`,
      );
      this.settle(work, 'retry');
    }
  }

  /** Acks or returns a delivery once; false when it was settled already. */
  private settle(work: Work, how: 'ack' | 'retry'): boolean {
    if (work.settled) return false;
    work.settled = true;
    if (how === 'ack') work.delivery.ack();
    else work.delivery.retry();
    return true;
  }

  private whenIdle(limit: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), limit);
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined || err === null) return `the handler threw ${String(err)}`;
  return `the handler threw ${messageOf(err)}`;
}
