import { Flavor, Plug } from '../../src/index.js';
import { testAgent } from '../../src/testing/index.js';
import { EventsPlugin } from '../../plugins/events/index.js';
import { StatusCheckPlugin, type HealthChange } from '../../plugins/status-check/index.js';
import { collect } from './events-conformance.js';

/** An events plugin reporting to a status check. */
@Flavor()
export class WatchedBus {
  @Plug() status = new StatusCheckPlugin();
  @Plug() events = new EventsPlugin();
  inject(): void {
    this.events.deps = { status: this.status };
  }
}

/** Resolves when the status check next reports the events plugin in `state`. */
export function eventsTurn(status: StatusCheckPlugin, state: HealthChange['state']): Promise<void> {
  return new Promise((resolve) => {
    const off = status.on('change', (c) => {
      if (c.plugin === 'events' && c.state === state) {
        off();
        resolve();
      }
    });
  });
}

/**
 * Starts a watched bus on `config` and handles one message; then `cut()` loses the
 * broker and, once the plugin reports error, `restore()` brings it back. Resolves
 * with the error reported, after the plugin is ok again and has handled a message
 * published after the loss.
 */
export async function survivesLoss(
  config: Record<string, unknown>,
  cut: () => unknown,
  restore: () => unknown = () => undefined,
): Promise<{ error: string | undefined; overall: string; data: unknown[] }> {
  const { flavor } = await testAgent(new WatchedBus(), { config: { events: config } });
  const { events, status } = flavor;
  const got = collect();
  await events.subscribe('jobs', (e) => got.add(e), { group: 'g' });
  await events.publish('jobs', 'before');
  await got.when(1);

  const lost = eventsTurn(status, 'error');
  const back = eventsTurn(status, 'ok');
  await cut();
  await lost;
  const error = status.agentStatus().plugins.events?.error;
  const overall = status.agentStatus().state;
  await restore();
  await back;
  await events.publish('jobs', 'after');
  await got.when(2);
  return { error, overall, data: got.seen.map((e) => e.data) };
}
