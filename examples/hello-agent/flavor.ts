import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { GreeterPlugin } from './greeter.js';

/** The RPC flavor plus a greeter wired to its HTTP server, metrics and logs. */
@Flavor()
export class HelloFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() greeter = new GreeterPlugin();

  inject(): void {
    this.greeter.deps = {
      http: this.rpc.http,
      metrics: this.rpc.prometheus,
      log: this.rpc.local.logs.logger('greeter'),
    };
  }
}
