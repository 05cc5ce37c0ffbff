import { Embed, Flavor, Plug } from '../../src/index.js';
import { PluginLoaderPlugin } from '../../plugins/loader-admin/index.js';
import { RpcFlavor } from '../rpc/index.js';

/** The RPC flavor plus the plugin loader: a host for plugins loaded at run time. */
@Flavor()
export class HostFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() loader = new PluginLoaderPlugin();

  inject(): void {
    this.loader.deps = { http: this.rpc.http, metrics: this.rpc.prometheus };
  }
}
