import { Flavor, Plug } from '../../src/index.js';
import { LogsPlugin } from '../../plugins/logs/index.js';
import { ServiceLabelPlugin } from '../../plugins/service-label/index.js';
import { StatusCheckPlugin } from '../../plugins/status-check/index.js';

/** The flavor every other flavor embeds: service label, status check and named loggers. */
@Flavor()
export class LocalFlavor {
  @Plug() serviceLabel = new ServiceLabelPlugin();
  @Plug() logs = new LogsPlugin();
  @Plug() statusCheck = new StatusCheckPlugin();
}
