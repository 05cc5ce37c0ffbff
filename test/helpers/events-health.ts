import { Flavor, Plug } from '../../src/index.js';
import { EventsPlugin } from '../../plugins/events/index.js';
import { StatusCheckPlugin, type HealthChange } from '../../plugins/status-check/index.js';

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
