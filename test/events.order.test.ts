import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBus } from './helpers/events-conformance.js';
import { keyedAcrossReplicas, type KeyedRun, type Replica } from './helpers/events-order.js';
import { ownVhost } from './helpers/rabbitmq.js';
import { shared, suffix } from './helpers/servers.js';

const natsPrefix = `fk_order_${suffix()}`;
let vhost: ReturnType<typeof ownVhost>;
beforeAll(() => {
  vhost = ownVhost();
}, 60_000);
afterAll(async () => {
  vhost.remove();
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: shared.nats.servers });
  await (await jetstreamManager(nc)).streams.delete(natsPrefix).catch(() => false);
  await nc.close();
}, 30_000);

function expectKeyOrder(run: KeyedRun): void {
  const expected = Array.from({ length: run.perKey }, (_, n) => n);
  for (const key of run.keys) expect(run.order.get(key), `key ${key}`).toEqual(expected);
  expect(run.overlaps).toBe(0);
  // both replicas took part: the second took over what the first left
  expect(run.handledBy[0]).toBeGreaterThan(0);
  expect(run.handledBy[1]).toBeGreaterThan(0);
}

/** Two agents of their own, each with its connection to the broker. */
async function agents(config: Record<string, unknown>) {
  const buses = await Promise.all([startBus(config), startBus(config), startBus(config)]);
  const [publisher, ...subscribers] = buses;
  const replicas = subscribers.map((bus) => ({ subscribe: bus.subscribe, stop: bus.stop }));
  return { publisher: publisher, replicas: replicas as [Replica, Replica] };
}

it('keeps each key in publish order across two subscribers of a group on the memory backend, one stopping midway', async () => {
  const bus = await startBus({});
  const subs: Array<{ unsubscribe: () => Promise<void> }> = [];
  const replica = (): Replica => ({
    subscribe: async (topic, handler, options) => {
      const sub = await bus.subscribe(topic, handler, options);
      subs.push(sub);
      return sub;
    },
    stop: () => subs[0]!.unsubscribe(),
  });
  expectKeyOrder(await keyedAcrossReplicas(bus, [replica(), replica()]));
});

it('keeps each key in publish order across two agents of a group on NATS, one stopping midway', async () => {
  const { publisher, replicas } = await agents({
    url: `nats://${shared.nats.servers}`,
    prefix: natsPrefix,
    ackWait: 2_000,
  });
  expectKeyOrder(await keyedAcrossReplicas(publisher, replicas));
}, 60_000);

it('keeps each key in publish order across two agents of a group on RabbitMQ, one stopping midway', async () => {
  const { publisher, replicas } = await agents({ url: vhost.url });
  expectKeyOrder(await keyedAcrossReplicas(publisher, replicas));
}, 60_000);
