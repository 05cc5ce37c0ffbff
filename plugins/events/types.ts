/** Turns message bodies into bytes and back; JSON unless the plugin is given another. */
export interface Codec {
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** The default codec: UTF-8 JSON. */
export const jsonCodec: Codec = {
  encode: (value) => Buffer.from(JSON.stringify(value) ?? 'null'),
  decode: (bytes) =>
    JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    ) as unknown,
};

/** Options of one `publish`. */
export interface PublishOptions {
  /** Messages with the same key are handled one after another, in publish order. */
  key?: string;
  /** Extra string headers, passed to the handler as they are. */
  headers?: Record<string, string>;
  /** The message id; a random UUID unless given. Handlers use it as an idempotency key. */
  id?: string;
}

/** Delay before each retry: a function of the attempt that failed, or exponential settings. */
export type Backoff =
  ((attempt: number) => number) | { initial?: number; max?: number; factor?: number };

/** Options of one `subscribe`. */
export interface SubscribeOptions {
  /** Within a group each message reaches one subscriber; each group gets every message. Default: a group of its own. */
  group?: string;
  /** Handlers of this subscription running at once; default 1. */
  concurrency?: number;
  /** Attempts before the message goes to the dead-letter topic; default 5. */
  maxAttempts?: number;
  /** Delay between attempts; default 100 ms doubling up to 10 s. */
  backoff?: Backoff;
  /** Where messages go after the last failed attempt; default `<topic>.dead`; `false` drops them. */
  deadLetter?: string | false;
}

/** One delivered message, as a handler sees it. */
export interface Event<T = unknown> {
  readonly id: string;
  readonly topic: string;
  readonly data: T;
  readonly key: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on the first delivery, counting redeliveries by the broker and retries. */
  readonly attempt: number;
  /** Aborted when the agent stops and the drain limit has passed: stop and throw. */
  readonly signal: AbortSignal;
}

/** Handles one message; throwing (or rejecting) asks for a retry. */
export type Handler<T = unknown> = (event: Event<T>) => void | Promise<void>;

/** A running subscription. */
export interface Subscription {
  readonly topic: string;
  readonly group: string | undefined;
  /** Stops taking messages and waits for running handlers, within the drain limit. */
  unsubscribe(): Promise<void>;
}

/** What dependents of the events plugin use. */
export interface EventBus {
  /** Publishes a message and resolves with its id once the broker has stored it. */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  /** Starts handling `topic`; messages flow from the plugin's `afterInit` on. */
  subscribe<T = unknown>(
    topic: string,
    handler: Handler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
}

/** Headers the plugin sets on a dead letter. */
export const DEAD_LETTER_HEADERS = {
  error: 'x-error',
  topic: 'x-original-topic',
  attempts: 'x-attempts',
} as const;
