import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** The backends the events plugin can use. */
export const BACKENDS = ['memory', 'nats', 'rabbitmq'] as const;
/** One of `BACKENDS`. */
export type BackendName = (typeof BACKENDS)[number];

/** Settings of the `events` plugin. */
export class EventsConfig {
  @Setting({ description: 'memory, nats or rabbitmq; default: from url, else memory' })
  @IsOptional()
  @IsIn(BACKENDS)
  backend?: BackendName;

  @Setting({
    description: 'broker address: nats://host:4222 or amqp://user:pass@host:5672/vhost',
    secret: true,
  })
  @IsOptional()
  @IsString()
  url?: string;

  @Setting({ description: 'NATS stream and subject prefix, RabbitMQ exchange and queue prefix' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'prefix may hold letters, digits, "-" and "_"' })
  prefix = 'events';

  @Setting({ description: 'ms to connect to the broker at start' })
  @IsInt()
  @Min(1)
  connectTimeout = 5_000;

  @Setting({
    description: 'ms running handlers get to finish when stopping, before their signal aborts',
  })
  @IsInt()
  @Min(0)
  drainTimeout = 10_000;

  @Setting({ description: 'ms aborted handlers get to return before their messages go back' })
  @IsInt()
  @Min(0)
  abortGrace = 1_000;

  @Setting({
    description:
      'messages handed to one subscriber before it settles them (at least its concurrency)',
  })
  @IsInt()
  @Min(1)
  @Max(10_000)
  prefetch = 64;

  @Setting({
    description: 'NATS: ms without an acknowledgement before a message is handed out again',
  })
  @IsInt()
  @Min(100)
  ackWait = 30_000;

  @Setting({
    description:
      'NATS, RabbitMQ: partitions of keyed messages, each handled by one subscriber of a group at a time; the same on every agent',
  })
  @IsInt()
  @Min(1)
  @Max(256)
  partitions = 8;

  @Setting({ description: 'NATS: unacknowledged messages per group, all its subscribers together' })
  @IsInt()
  @Min(1)
  maxAckPending = 1_000;
}
