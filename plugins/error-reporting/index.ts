import {
  type AgentView,
  importPeer,
  type InitContext,
  type LogLineEvent,
  type Plugin,
} from '../../src/index.js';
import type { RequestRecord } from '../http/index.js';
import { ErrorReportingConfig } from './config.js';
import { rateLimiter, scrub } from './scrub.js';
import { abortableTransport } from './transport.js';

export { ErrorReportingConfig } from './config.js';

/** What the plugin observes of the HTTP server: answered requests. */
export interface ObservedHttp {
  onRequest(listener: (record: RequestRecord) => void): () => void;
}

/** What the plugin observes of the gRPC server: calls that failed with INTERNAL. */
export interface ObservedGrpc {
  onFailure(listener: (failure: { path: string; error: unknown }) => void): () => void;
}

/** What the plugin observes of the logs: written lines. */
export interface ObservedLogs {
  onLine(observer: (line: LogLineEvent) => void): () => void;
}

/** Options given in code. */
export interface ErrorReportingOptions {
  /** More values that must never appear in a report (the DSN and secret settings are always hidden). */
  secrets?: string[];
}

/** What server code uses to report an error itself. */
export interface ErrorReporter {
  /** True when a DSN is set and reports are sent. */
  readonly enabled: boolean;
  /** Reports `error` with optional tags. */
  report(error: unknown, tags?: Record<string, string>): void;
}

type SentryModule = typeof import('@sentry/node');
type SentryScope = InstanceType<SentryModule['Scope']>;
type SentryClient = InstanceType<SentryModule['NodeClient']>;

/**
 * Sentry reports of failed starts, errors `run()` caught after start and HTTP
 * 5xx answers, through `@sentry/node` with a client of its own (no global
 * state, no automatic instrumentation). Off, and never loaded, without a DSN.
 */
export class ErrorReportingPlugin implements Plugin, ErrorReporter {
  static readonly configClass = ErrorReportingConfig;
  deps: { http?: ObservedHttp; grpc?: ObservedGrpc; logs?: ObservedLogs } = {};
  private client: SentryClient | undefined;
  private scope: SentryScope | undefined;
  private abortAll: (() => void) | undefined;
  private flushTimeout = 0;
  private secrets: string[] = [];
  private readonly offs: Array<() => void> = [];

  constructor(private readonly options: ErrorReportingOptions = {}) {}

  get enabled(): boolean {
    return this.client !== undefined;
  }

  async init(ctx: InitContext): Promise<void> {
    const config = ctx.config(ErrorReportingConfig);
    if (!config.dsn) {
      ctx.log.debug('no DSN set: errors are not reported');
      return;
    }
    const sentry = await importPeer(ctx.name, '@sentry/node', () => import('@sentry/node'));
    const { transport, abortAll } = abortableTransport(sentry, config.sendTimeout);
    const secrets = (this.secrets = [
      ...secretValues(ctx.agent, config.dsn),
      ...(this.options.secrets ?? []),
    ]);
    const allowed = rateLimiter(config.maxPerMinute);
    const client = new sentry.NodeClient({
      dsn: config.dsn,
      release: ctx.agent.label,
      environment: config.environment ?? ctx.agent.label,
      sampleRate: config.sampleRate,
      maxBreadcrumbs: config.maxBreadcrumbs,
      integrations: [],
      sendClientReports: false,
      stackParser: sentry.defaultStackParser,
      transport,
      beforeSend: (event) => (allowed() ? scrub(event, secrets) : null),
    });
    const scope = new sentry.Scope();
    scope.setClient(client);
    scope.setTag('agent', ctx.agent.name);
    client.init();
    this.client = client;
    this.scope = scope;
    this.abortAll = abortAll;
    this.flushTimeout = config.flushTimeout;
    this.observe(ctx.agent);
    ctx.log.info('errors are reported');
  }

  /** Flushes what is still being sent, within the flush limit, then cuts off the rest. */
  async close(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.close(this.flushTimeout);
    this.abortAll?.();
  }

  report(error: unknown, tags: Record<string, string> = {}): void {
    const scope = this.scope?.clone();
    if (!scope || !this.client) return;
    scope.setTags(tags);
    scope.captureException(error ?? new Error(`a thrown ${String(error)}`));
  }

  private observe(agent: AgentView): void {
    this.offs.push(
      agent.on('phaseEnd', ({ plugin, phase, error }) => {
        if (error && (phase === 'init' || phase === 'afterInit'))
          this.report(error, { kind: 'start', plugin, phase });
      }),
      agent.on('fault', ({ error }) => this.report(error, { kind: 'crash' })),
    );
    const { http, grpc, logs } = this.deps;
    if (http) this.offs.push(http.onRequest((record) => this.answered(record)));
    if (grpc) this.offs.push(grpc.onFailure((failure) => this.failedCall(failure)));
    if (logs)
      this.offs.push(
        logs.onLine(({ level, logger, message }) => {
          if (level !== 'warn' && level !== 'error') return;
          const crumb = scrub(
            { level: level === 'warn' ? 'warning' : 'error', category: logger, message },
            this.secrets,
          );
          this.scope?.addBreadcrumb(crumb as { level: 'warning' | 'error' });
        }),
      );
  }

  /** A gRPC call that failed with INTERNAL: the error, its method and status; never the request or its metadata. */
  private failedCall({ path, error }: { path: string; error: unknown }): void {
    const scope = this.scope?.clone();
    if (!scope || !this.client) return;
    scope.setTags({ kind: 'grpc', method: path, status: 'INTERNAL' });
    scope.setFingerprint(['grpc', path, 'INTERNAL']);
    // a status object handed to the callback may hold metadata: only its details go
    const details = (error as { details?: unknown } | null | undefined)?.details;
    scope.captureException(
      error instanceof Error
        ? error
        : new Error(
            `${path} failed with INTERNAL${typeof details === 'string' ? `: ${details}` : ''}`,
          ),
    );
  }

  /** A 5xx answer, by route template, method, status and request id: never the request itself. */
  private answered({ method, route, status, requestId }: RequestRecord): void {
    if (status < 500) return;
    const scope = this.scope?.clone();
    if (!scope) return;
    scope.setTags({ kind: 'http', method, route, status: String(status) });
    if (requestId) scope.setTag('request_id', requestId);
    scope.setFingerprint(['http', method, route, String(status)]);
    scope.captureMessage(`HTTP ${status} ${method} ${route}`, 'error');
  }
}

/** The DSN, its key, and the values of secret settings found in the environment. */
function secretValues(agent: AgentView, dsn: string): string[] {
  const values = [dsn];
  const key = /\/\/([^@:]+)/.exec(dsn)?.[1];
  if (key) values.push(key);
  const describe = (agent as { describeConfig?: () => Array<{ env: string; secret: boolean }> })
    .describeConfig;
  for (const setting of describe?.call(agent) ?? []) {
    const value = setting.secret ? process.env[setting.env] : undefined;
    if (value) values.push(value);
  }
  return values;
}
