import type { AgentView, InitContext, Plugin } from '../../src/index.js';
import type { Routes } from '../http/index.js';
import type { StatusReporter } from '../status-check/index.js';
import type { TaskInfo } from '../tasks/index.js';
import { LiveStreams } from './live.js';
import { renderContent, renderPage } from './page.js';
import { buildReport } from './report.js';

export { buildReport, type DiagnosticsReport, type TimelineBar } from './report.js';

/**
 * `GET /diagnostics`: a self-contained HTML page with every plugin, its state,
 * init duration and dependencies, the start-up timeline and the dependency
 * graph; `GET /diagnostics.json`: the same data; `GET /diagnostics/events`:
 * Server-Sent Events with the page's content after each change of state, which
 * the page uses to refresh itself. All are admin routes.
 */
export class DiagnosticsPlugin implements Plugin {
  deps!: { http: Routes; status: StatusReporter; tasks?: { list(): TaskInfo[] } };
  private agent?: AgentView | undefined;
  private live?: LiveStreams;
  private readonly offs: Array<() => void> = [];

  init(ctx: InitContext): void {
    this.agent = ctx.agent;
    const report = () => ({
      ...buildReport(this.agent!, this.deps.status.agentStatus()),
      ...(this.deps.tasks ? { tasks: this.deps.tasks.list() } : {}),
    });
    const admin = { admin: true };
    this.deps.http.route('GET', '/diagnostics.json', (_req, reply) => reply.json(report()), admin);
    this.deps.http.route(
      'GET',
      '/diagnostics',
      (_req, reply) => reply.send(renderPage(report()), 'text/html; charset=utf-8'),
      admin,
    );
    const live = (this.live = new LiveStreams(() => renderContent(report())));
    this.deps.http.route(
      'GET',
      '/diagnostics/events',
      (_req, reply) => live.open(reply.raw),
      admin,
    );
    this.offs.push(
      this.deps.status.on('change', () => live.changed()),
      ctx.agent.on('phaseEnd', () => live.changed()),
    );
  }

  /** Ends the live streams before the HTTP server drains. */
  beforeClose(): void {
    for (const off of this.offs.splice(0)) off();
    this.live?.close();
  }
}
