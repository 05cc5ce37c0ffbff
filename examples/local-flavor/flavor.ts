import { Embed, Flavor, Plug } from 'flavorkit';
import { LocalFlavor } from 'flavorkit/flavors/local';
import { InventoryPlugin } from './inventory.js';

/** An application flavor on top of the Local flavor. */
@Flavor()
export class InventoryFlavor {
  @Embed() local = new LocalFlavor();
  @Plug() inventory = new InventoryPlugin();

  inject(): void {
    this.inventory.deps = {
      label: this.local.serviceLabel,
      status: this.local.statusCheck,
      log: this.local.logs.logger('inventory'),
    };
  }
}
