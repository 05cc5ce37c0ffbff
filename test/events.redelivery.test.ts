import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { runTs } from './helpers/child.js';
import { startBus } from './helpers/events-conformance.js';
import { shared, suffix } from './helpers/servers.js';

const prefix = `fk_redeliver_${suffix()}`;
const dir = mkdtempSync(join(tmpdir(), 'flavorkit-events-'));
const TOTAL = 10_000;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: shared.nats.servers });
  await (await jetstreamManager(nc)).streams.delete(prefix).catch(() => false);
  await nc.close();
});

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

function consumer() {
  return runTs(fileURLToPath(new URL('./fixtures/events-consumer.ts', import.meta.url)), [], {
    CONSUMER_EVENTS_URL: `nats://${shared.nats.servers}`,
    CONSUMER_EVENTS_PREFIX: prefix,
    CONSUMER_EVENTS_ACK_WAIT: '2000',
    CONSUMER_LOG_FORMAT: 'json',
    EFFECTS: join(dir, 'effects'),
    DELIVERIES: join(dir, 'deliveries'),
    TOTAL: String(TOTAL),
  });
}

it('loses none of 10,000 messages when the consumer is stopped with SIGTERM midway and started again', async () => {
  const first = consumer();
  await first.waitFor('consuming');

  const bus = await startBus({ url: `nats://${shared.nats.servers}`, prefix });
  const ids: string[] = [];
  for (let batch = 0; batch < TOTAL / 500; batch++) {
    const sent = Array.from({ length: 500 }, (_, i) => bus.publish('jobs', batch * 500 + i));
    ids.push(...(await Promise.all(sent)));
  }

  await first.waitFor('applied 2000');
  first.proc.kill('SIGTERM');
  expect((await first.exited).code).toBe(0);
  expect(first.output()).toMatch(/stopped in/);
  const beforeRestart = new Set(lines(join(dir, 'effects'))).size;
  expect(beforeRestart).toBeLessThan(TOTAL);

  const second = consumer();
  await second.waitFor('all applied');
  second.proc.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);

  const effects = lines(join(dir, 'effects'));
  const deliveries = new Set(lines(join(dir, 'deliveries')));
  // at least once: every message reached a handler; exactly once in effect
  expect([...deliveries].sort()).toEqual([...ids].sort());
  expect(effects).toHaveLength(TOTAL);
  expect(new Set(effects).size).toBe(TOTAL);
}, 60_000);
