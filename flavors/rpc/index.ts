import { Embed, Flavor, Plug } from '../../src/index.js';
import { LocalFlavor } from '../local/index.js';
import { DiagnosticsPlugin } from '../../plugins/diagnostics/index.js';
import { HttpPlugin } from '../../plugins/http/index.js';
import { LogManagerPlugin } from '../../plugins/log-manager/index.js';
import { ProbePlugin } from '../../plugins/probe/index.js';
import { PrometheusPlugin } from '../../plugins/prometheus/index.js';

export { DiagnosticsPlugin } from '../../plugins/diagnostics/index.js';
export {
  adminAccess,
  HttpConfig,
  HttpPlugin,
  isLoopback,
  type AdminDecision,
  type AdminRoutes,
  type HttpEngine,
  type HttpHandlers,
  type RequestRecord,
  type RouteHandler,
  type RouteMethod,
  type RouteOptions,
  type RouteReply,
  type RouteRequest,
  type Routes,
} from '../../plugins/http/index.js';
export { LogManagerPlugin } from '../../plugins/log-manager/index.js';
export { ProbePlugin } from '../../plugins/probe/index.js';
export { PrometheusPlugin, type Metrics } from '../../plugins/prometheus/index.js';

/**
 * The Local flavor plus an HTTP server with probes, metrics, a log manager and a
 * diagnostics page.
 */
@Flavor()
export class RpcFlavor {
  @Embed() local = new LocalFlavor();
  @Plug() http = new HttpPlugin();
  @Plug() probe = new ProbePlugin();
  @Plug() prometheus = new PrometheusPlugin();
  @Plug() logManager = new LogManagerPlugin();
  @Plug() diagnostics = new DiagnosticsPlugin();

  inject(): void {
    const { http } = this;
    const status = this.local.statusCheck;
    this.probe.deps = { http, status };
    this.prometheus.deps = { http };
    this.logManager.deps = { http, logs: this.local.logs };
    this.diagnostics.deps = { http, status };
  }
}
