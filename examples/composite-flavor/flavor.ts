import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { PluginXY } from './plugins.js';

/** A reused flavor (RPC) plus a user plugin, wired explicitly. */
@Flavor()
export class CompositeFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() pluginXY = new PluginXY();

  inject(): void {
    // one line per dependency: a readable, compiler-checked map of the wiring
    this.pluginXY.deps = { http: this.rpc.http };
  }
}
