import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { EventsPlugin } from 'flavorkit/plugins/events';
import { TasksPlugin } from 'flavorkit/plugins/tasks';
import { Fulfilment } from './fulfilment.js';
import { OrdersApi } from './orders-api.js';

/** An order API and its fulfilment, joined by events; fulfilment runs as tasks. */
@Flavor()
export class OrdersFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() events = new EventsPlugin();
  @Plug() tasks = new TasksPlugin();
  @Plug() api = new OrdersApi();
  @Plug() fulfilment = new Fulfilment();

  inject(): void {
    const { rpc, events, tasks } = this;
    const logs = rpc.local.logs;
    events.deps = { status: rpc.local.statusCheck, metrics: rpc.prometheus };
    tasks.deps = { metrics: rpc.prometheus };
    rpc.diagnostics.deps = { ...rpc.diagnostics.deps, tasks };
    this.api.deps = { http: rpc.http, events, log: logs.logger('orders') };
    this.fulfilment.deps = { events, tasks, log: logs.logger('fulfilment') };
  }
}
