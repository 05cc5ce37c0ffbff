import { Flavor, Plug } from '../../src/index.js';
import { LogsPlugin } from '../../plugins/logs/index.js';
import { ServiceLabelPlugin } from '../../plugins/service-label/index.js';
import { StatusCheckPlugin } from '../../plugins/status-check/index.js';

export { LogsConfig, LogsPlugin, type LogRegistryView } from '../../plugins/logs/index.js';
export { ServiceLabelPlugin, type ServiceLabel } from '../../plugins/service-label/index.js';
export {
  StatusCheckPlugin,
  type AgentHealth,
  type HealthChange,
  type HealthState,
  type OverallState,
  type PluginHealth,
  type Probe,
  type ProbeOptions,
  type StatusReporter,
} from '../../plugins/status-check/index.js';

/** The flavor every other flavor embeds: service label, status check and named loggers. */
@Flavor()
export class LocalFlavor {
  @Plug() serviceLabel = new ServiceLabelPlugin();
  @Plug() logs = new LogsPlugin();
  @Plug() statusCheck = new StatusCheckPlugin();
}
