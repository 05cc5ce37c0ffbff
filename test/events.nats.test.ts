import { afterAll } from 'vitest';
import { eventsConformance } from './helpers/events-conformance.js';
import { shared, suffix } from './helpers/servers.js';

const prefix = `fk_test_${suffix()}`;

afterAll(async () => {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: shared.nats.servers });
  await (await jetstreamManager(nc)).streams.delete(prefix).catch(() => false);
  await nc.close();
});

eventsConformance('NATS JetStream', () => ({ url: `nats://${shared.nats.servers}`, prefix }));
