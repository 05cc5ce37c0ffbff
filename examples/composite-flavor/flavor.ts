import { Embed, Flavor, Plug } from 'flavorkit';
import { GreeterPlugin, HeartbeatPlugin, MemoryStorePlugin } from './plugins.js';

/** A reusable flavor: a store and a heartbeat. */
@Flavor()
export class InfraFlavor {
  @Plug() store = new MemoryStorePlugin();
  @Plug() heartbeat = new HeartbeatPlugin();
}

/** The application: the reused flavor plus an own plugin, wired explicitly. */
@Flavor()
export class CompositeFlavor {
  @Embed() infra = new InfraFlavor();
  @Plug() greeter = new GreeterPlugin();

  inject(): void {
    this.greeter.deps = { store: this.infra.store };
  }
}
