import { afterAll, expect, it } from 'vitest';
import { collect, eventsConformance, startBus } from './helpers/events-conformance.js';
import { deleteNatsStream, shared, suffix } from './helpers/servers.js';

const prefix = `fk_test_${suffix()}`;
const url = `nats://${shared.nats.servers}`;

afterAll(() => deleteNatsStream(prefix));

eventsConformance('NATS JetStream', () => ({ url, prefix }));

it('keeps a message handled for longer than the ack wait from being handed out again', async () => {
  const bus = await startBus({ url, prefix, ackWait: 200 });
  const topic = `long.${suffix()}`;
  const seen = collect();
  const done = collect();
  await bus.subscribe(
    topic,
    async (e) => {
      seen.add(e);
      // five ack waits long: without the heartbeat the server would redeliver it meanwhile
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      done.add(e);
    },
    { group: 'g', concurrency: 2 },
  );
  await bus.publish(topic, 'long');
  await done.when(1);
  await bus.stop();
  expect(seen.seen).toHaveLength(1);
});
