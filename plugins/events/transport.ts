/** A message as it travels: what the plugin hands a backend and gets back. */
export interface Envelope {
  id: string;
  key?: string | undefined;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** One message handed to a consumer; exactly one of `ack` and `retry` settles it. */
export interface Delivery extends Envelope {
  topic: string;
  /** How often the broker has handed this message out, this time included (1 when unknown). */
  deliveries: number;
  /** Done: the broker forgets the message. */
  ack(): void;
  /** Not done: the broker hands it out again, to this group's next free subscriber. */
  retry(): void;
  /** Still working on it: keeps the broker from handing it out again meanwhile. */
  touch(): void;
}

/** A backend's consumer of one topic for one group. */
export interface Consumer {
  /** Stops taking messages; deliveries already handed out stay to be settled. */
  stop(): Promise<void>;
  /** Called after `stop` once every delivery is settled: gives up the consumer's place in its group. */
  close?(): Promise<void>;
}

/** Connection health, as a backend reports it. */
export type HealthListener = (healthy: boolean, error?: string) => void;

/**
 * The contract every backend keeps (memory, NATS JetStream, RabbitMQ), proven by
 * the conformance suite in `test/helpers/events-conformance.ts`:
 * - `publish` resolves once the message is stored for every group that exists.
 * - A group exists from its first `consume` (or `declare`) on and keeps its
 *   messages while nobody consumes; `group: undefined` is a private group
 *   that ends with its consumer.
 * - A group hands each message to one consumer at a time, at most `prefetch`
 *   unsettled per consumer, in publish order; `retry` and unsettled messages of
 *   a stopped or lost consumer are handed out again.
 * - Messages with the same key go to one consumer of a group at a time, in
 *   publish order, also when several consumers (replicas) share the group.
 */
export interface Transport {
  publish(topic: string, message: Envelope): Promise<void>;
  /** Makes sure `group` exists for `topic`, so messages are kept for it. */
  declare(topic: string, group: string): Promise<void>;
  consume(
    topic: string,
    group: string | undefined,
    prefetch: number,
    deliver: (delivery: Delivery) => void,
  ): Promise<Consumer>;
  /** Called on each change of the connection's health. */
  onHealth(listener: HealthListener): void;
  /** Flushes what is pending (acknowledgements too) and disconnects. */
  close(): Promise<void>;
}
