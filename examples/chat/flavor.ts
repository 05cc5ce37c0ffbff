import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { ErrorReportingPlugin } from 'flavorkit/plugins/error-reporting';
import { RealtimePlugin } from 'flavorkit/plugins/realtime';
import { ChatPagePlugin } from './page.js';

/** A chat: the RPC flavor, real-time channels, a page with the client bundle, error reports. */
@Flavor()
export class ChatFlavor {
  @Plug() errors = new ErrorReportingPlugin();
  @Embed() rpc = new RpcFlavor();
  @Plug() realtime = new RealtimePlugin({
    namespaces: {
      chat: {
        historySize: 100,
        historyTtl: 3_600_000,
        presence: true,
        joinLeave: true,
        publish: true,
      },
    },
  });
  @Plug() page = new ChatPagePlugin();

  inject(): void {
    const { http, prometheus, local } = this.rpc;
    this.errors.deps = { http, logs: local.logs };
    this.realtime.deps = { http, status: local.statusCheck, metrics: prometheus };
    this.page.deps = { http };
  }
}
