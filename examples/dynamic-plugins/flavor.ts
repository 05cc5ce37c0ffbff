import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import type { LoaderPrinter } from 'flavorkit/loader';
import { PluginLoaderPlugin } from 'flavorkit/plugins/loader-admin';

/** Prints only what went wrong: failures, blocked plugins and refused reloads, one line each. */
export const problemsOnly: LoaderPrinter = ({ on, log }) => {
  on('failed', ({ name, version, reason }) => log?.error(`${name}@${version} failed: ${reason}`));
  on('blocked', ({ name, reason }) => log?.warn(`${name} blocked: ${reason}`));
  on('reloadRefused', ({ name, running, reason }) =>
    log?.warn(`${name} stays at ${running}: ${reason}`),
  );
};

/** A host of one's own: the RPC flavor and the loader's admin plugin, printing problems only. */
@Flavor()
export class QuietHostFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() loader = new PluginLoaderPlugin({ printer: problemsOnly });

  inject(): void {
    this.loader.deps = { http: this.rpc.http, metrics: this.rpc.prometheus };
  }
}
