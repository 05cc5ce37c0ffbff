import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { KvPlugin } from 'flavorkit/plugins/kv';
import { GreeterPlugin } from './greeter.js';

/** The RPC flavor, a KV store (memory unless CONFIG_SYNC_KV_URL names etcd or redis) and the greeter. */
@Flavor()
export class ConfigSyncFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() kv = new KvPlugin();
  @Plug() greeter = new GreeterPlugin();

  inject(): void {
    this.kv.deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
    this.greeter.deps = {
      http: this.rpc.http,
      kv: this.kv,
      log: this.rpc.local.logs.logger('greeter'),
    };
  }
}
