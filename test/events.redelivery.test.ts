import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTs } from './helpers/child.js';
import { startBus } from './helpers/events-conformance.js';
import { ownVhost } from './helpers/rabbitmq.js';
import { shared, suffix } from './helpers/servers.js';

const prefix = `fk_redeliver_${suffix()}`;
const dir = mkdtempSync(join(tmpdir(), 'flavorkit-events-'));
const TOTAL = 10_000;
let vhost: ReturnType<typeof ownVhost>;

beforeAll(() => {
  vhost = ownVhost();
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  vhost.remove();
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: shared.nats.servers });
  await (await jetstreamManager(nc)).streams.delete(prefix).catch(() => false);
  await nc.close();
}, 30_000);

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const backends = [
  {
    name: 'NATS JetStream',
    config: (): Record<string, string> => ({ url: `nats://${shared.nats.servers}`, prefix }),
    // ack wait short: a message that reached a stopped consumer comes back soon
    env: { CONSUMER_EVENTS_ACK_WAIT: '2000' },
  },
  { name: 'RabbitMQ', config: (): Record<string, string> => ({ url: vhost.url }), env: {} },
];

describe.each(backends)('redelivery on $name', (backend) => {
  const config = () => backend.config();

  function child(file: string, run: string, env: Record<string, string> = {}) {
    const { url, prefix } = config();
    return runTs(fixture(file), [], {
      CONSUMER_EVENTS_URL: url!,
      ...(prefix && { CONSUMER_EVENTS_PREFIX: prefix }),
      CONSUMER_LOG_FORMAT: 'json',
      ...backend.env,
      EFFECTS: join(dir, `${run}.effects`),
      DELIVERIES: join(dir, `${run}.deliveries`),
      TOTAL: String(TOTAL),
      ...env,
    });
  }

  it('loses none of 10,000 messages when the consumer is stopped with SIGTERM midway and started again', async () => {
    const run = `stop-${suffix()}`;
    const first = child('events-consumer.ts', run);
    await first.waitFor('consuming');

    const bus = await startBus(config());
    const ids: string[] = [];
    for (let batch = 0; batch < TOTAL / 500; batch++) {
      const sent = Array.from({ length: 500 }, (_, i) => bus.publish('jobs', batch * 500 + i));
      ids.push(...(await Promise.all(sent)));
    }

    await first.waitFor('applied 2000');
    first.proc.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(first.output()).toMatch(/stopped in/);
    const beforeRestart = new Set(lines(join(dir, `${run}.effects`))).size;
    expect(beforeRestart).toBeLessThan(TOTAL);

    const second = child('events-consumer.ts', run);
    await second.waitFor('all applied');
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const effects = lines(join(dir, `${run}.effects`));
    const deliveries = new Set(lines(join(dir, `${run}.deliveries`)));
    // at least once: every message reached a handler; exactly once in effect
    expect([...deliveries].sort()).toEqual([...ids].sort());
    expect(effects).toHaveLength(TOTAL);
    expect(new Set(effects).size).toBe(TOTAL);
  }, 120_000);

  it('counts the attempt on from the broker when a message comes back after its consumer stopped mid-handling', async () => {
    const env = { CONSUMER_EVENTS_DRAIN_TIMEOUT: '100', CONSUMER_EVENTS_ABORT_GRACE: '100' };
    const first = child('events-attempts.ts', `attempts-${suffix()}`, env);
    await first.waitFor('consuming');
    const bus = await startBus(config());
    const id = await bus.publish('attempts', 'once');
    await first.waitFor(`attempt 1 of ${id}`);
    first.proc.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = child('events-attempts.ts', `attempts-${suffix()}`, env);
    await second.waitFor(new RegExp(`attempt \\d+ of ${id}`));
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(second.output()).toContain(`attempt 2 of ${id}`);
  }, 60_000);
});
