import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBus } from '../../plugins/events/index.js';
import { collect } from './events-conformance.js';
import { suffix } from './servers.js';

/** One subscriber of a group, as a replica of a service runs it. */
export interface Replica {
  /** Subscribes the replica's handler to `topic` in group `g`. */
  subscribe: EventBus['subscribe'];
  /** Stops the replica (its agent, or its subscription) while messages still flow. */
  stop: () => Promise<void>;
}

/** What `keyedAcrossReplicas` saw. */
export interface KeyedRun {
  /** Per key, the numbers in the order their handlers finished. */
  order: Map<string, number[]>;
  /** How often a key's handler started while another of the same key ran. */
  overlaps: number;
  /** Messages handled by each replica. */
  handledBy: [number, number];
  keys: string[];
  perKey: number;
}

/**
 * Two replicas share a group and handle keyed messages with concurrency 4 and
 * uneven handling times; the first stops after a third of the messages is
 * handled, while the rest is still queued. Resolves once every message is handled.
 */
export async function keyedAcrossReplicas(
  publisher: EventBus,
  replicas: [Replica, Replica],
): Promise<KeyedRun> {
  const topic = `ordered.${suffix()}`;
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const perKey = 40;
  const order = new Map(keys.map((k) => [k, [] as number[]]));
  const running = new Map<string, number>();
  const handledBy: [number, number] = [0, 0];
  let overlaps = 0;
  const all = collect();
  for (const [index, replica] of replicas.entries()) {
    await replica.subscribe<{ n: number }>(
      topic,
      async (e) => {
        const key = e.key!;
        const now = (running.get(key) ?? 0) + 1;
        running.set(key, now);
        if (now > 1) overlaps++;
        await sleep(e.data.n % 3);
        running.set(key, running.get(key)! - 1);
        order.get(key)!.push(e.data.n);
        handledBy[index]!++;
        all.add(e);
      },
      { group: 'g', concurrency: 4 },
    );
  }
  const total = keys.length * perKey;
  const stopped = all.when(Math.floor(total / 3)).then(() => replicas[0].stop());
  // published in call order over one connection, all at once: a backlog both replicas take from
  const published: Array<Promise<string>> = [];
  for (let n = 0; n < perKey; n++) {
    for (const key of keys) published.push(publisher.publish(topic, { n }, { key }));
  }
  await Promise.all(published);
  await stopped;
  await all.when(total);
  return { order, overlaps, handledBy, keys, perKey };
}
