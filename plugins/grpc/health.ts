import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, status } from '@grpc/grpc-js';
import type { AgentHealth, StatusReporter } from '../status-check/index.js';

/** The standard health service's schema (grpc/health/v1/health.proto) in protobuf.js JSON form. */
export const HEALTH_SCHEMA = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: {
                      values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 },
                    },
                  },
                },
                Health: {
                  methods: {
                    Check: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                    },
                    Watch: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                      responseStream: true,
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** A serving status of the health protocol. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

type Request = { service?: string };
type Response = { status: ServingStatus };

/**
 * `grpc.health.v1.Health` answered from the status check: the empty service
 * name is the agent as a whole (serving when ok or degraded); a gRPC service
 * name follows the plugin it was added for (or the agent), and a plugin name
 * follows that plugin.
 */
export class HealthService {
  private readonly watchers = new Set<{
    service: string;
    last: ServingStatus;
    call: ServerWritableStream<Request, Response>;
  }>();
  private off?: () => void;
  private stopping = false;

  constructor(
    private readonly status: StatusReporter,
    /** gRPC service name -> the plugin whose health it reports, or '' for the agent. */
    private readonly services: ReadonlyMap<string, string>,
    private readonly notFound: status,
  ) {}

  /** Starts following the status check. */
  start(): void {
    this.off = this.status.on('change', () => this.notify());
  }

  /** Every service turns NOT_SERVING; open Watch streams get that and end. */
  stop(): void {
    this.stopping = true;
    this.off?.();
    for (const watcher of this.watchers) {
      if (watcher.last !== 'NOT_SERVING') watcher.call.write({ status: 'NOT_SERVING' });
      watcher.call.end();
    }
    this.watchers.clear();
  }

  /** The status of one service name, or undefined when the name is unknown. */
  statusOf(
    service: string,
    health: AgentHealth = this.status.agentStatus(),
  ): ServingStatus | undefined {
    const plugin =
      this.services.get(service) ??
      (service === '' || service in health.plugins ? service : undefined);
    if (plugin === undefined) return undefined;
    if (this.stopping) return 'NOT_SERVING';
    if (plugin === '')
      return health.state === 'ok' || health.state === 'degraded' ? 'SERVING' : 'NOT_SERVING';
    return health.plugins[plugin]?.state === 'ok' ? 'SERVING' : 'NOT_SERVING';
  }

  /** The implementation to add to the server. */
  readonly implementation = {
    Check: (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => {
      const service = call.request.service ?? '';
      const status = this.statusOf(service);
      if (status === undefined)
        callback({ code: this.notFound, details: `unknown service "${service}"` });
      else callback(null, { status });
    },
    Watch: (call: ServerWritableStream<Request, Response>) => {
      const service = call.request.service ?? '';
      const last = this.stopping ? 'NOT_SERVING' : (this.statusOf(service) ?? 'SERVICE_UNKNOWN');
      call.write({ status: last });
      if (this.stopping) return void call.end();
      const watcher = { service, last, call };
      this.watchers.add(watcher);
      call.on('cancelled', () => this.watchers.delete(watcher));
    },
  };

  private notify(): void {
    const health = this.status.agentStatus();
    for (const watcher of this.watchers) {
      const next = this.statusOf(watcher.service, health) ?? 'SERVICE_UNKNOWN';
      if (next === watcher.last) continue;
      watcher.last = next;
      watcher.call.write({ status: next });
    }
  }
}
