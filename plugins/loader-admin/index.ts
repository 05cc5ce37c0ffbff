import { Counter, type Registry } from 'prom-client';
import {
  type InitContext,
  IsBoolean,
  IsInt,
  IsString,
  Min,
  type Plugin,
  Setting,
  toError,
} from '../../src/index.js';
import {
  type LoaderCounts,
  LoaderError,
  type LoaderPrinter,
  PluginLoader,
} from '../../src/loader/index.js';
import type { RouteHandler, RouteRequest, Routes } from '../http/index.js';
import type { Metrics } from '../prometheus/index.js';

/** Settings of the `loader` plugin. */
export class LoaderConfig {
  @Setting({ description: 'directory with one sub-folder per plugin version' })
  @IsString()
  dir = 'plugins';

  @Setting({ description: 'load, upgrade and unload as the directory changes' })
  @IsBoolean()
  watch = false;

  @Setting({ description: 'refuse plugin versions without an integrity field' })
  @IsBoolean()
  requireIntegrity = false;

  @Setting({ description: 'ms of quiet after a change before watch mode acts' })
  @IsInt()
  @Min(0)
  debounce = 200;

  @Setting({ description: "ms a plugin's import, isAcceptable and createPlugin each get" })
  @IsInt()
  @Min(1)
  timeout = 15_000;
}

/**
 * Runtime plugin loading as a plugin: discovers in `init`, loads once the agent
 * has started, serves the admin routes (`GET /plugins`, `POST
 * /plugins/:name/load|reload`, `DELETE /plugins/:name[?force=true]`) and
 * exports its counters to the metrics registry when given one.
 */
export class PluginLoaderPlugin implements Plugin {
  static readonly configClass = LoaderConfig;
  deps: { http?: Routes; metrics?: Metrics } = {};
  loader?: PluginLoader | undefined;
  /** Settles when the first load of every discovered plugin is done. */
  loaded?: Promise<void>;
  private stopListening?: () => void;

  /** `printer` replaces the loader's default log lines (`loaderLogPrinter`). */
  constructor(private readonly options: { printer?: LoaderPrinter } = {}) {}

  async init(ctx: InitContext): Promise<void> {
    const cfg = ctx.config(LoaderConfig);
    const loader = new PluginLoader({
      dir: cfg.dir,
      agent: ctx.agent,
      log: ctx.log,
      printer: this.options.printer,
      requireIntegrity: cfg.requireIntegrity,
      debounce: cfg.debounce,
      timeout: cfg.timeout,
    });
    this.loader = loader;
    await loader.discover();
    if (this.deps.metrics) exportCounts(loader.counts, this.deps.metrics.registry);
    if (this.deps.http) adminRoutes(this.deps.http, loader);
    let loadedNow!: () => void;
    this.loaded = new Promise((resolve) => (loadedNow = resolve));
    // plugins join a running agent: load once it has started
    this.stopListening = ctx.agent.on('started', () => {
      void loader.loadAll().finally(() => {
        if (cfg.watch) loader.watch();
        loadedNow();
      });
    });
  }

  async beforeClose(): Promise<void> {
    this.stopListening?.();
    await this.loader?.close();
  }
}

function adminRoutes(http: Routes, loader: PluginLoader): void {
  const act =
    (operation: (name: string, req: RouteRequest) => Promise<void>): RouteHandler =>
    async (req, reply) => {
      const name = req.params.name!;
      try {
        await operation(name, req);
        reply.json(loader.list().find((p) => p.name === name));
      } catch (err) {
        const status = err instanceof LoaderError ? err.status : 500;
        reply.status(status).json({ error: toError(err).message });
      }
    };
  const admin = { admin: true };
  http.route(
    'GET',
    '/plugins',
    (_req, reply) =>
      reply.json({
        plugins: loader.list(),
        refused: loader.refusedFolders(),
        counts: loader.counts,
      }),
    admin,
  );
  http.route(
    'POST',
    '/plugins/:name/load',
    act((name) => loader.load(name)),
    admin,
  );
  http.route(
    'POST',
    '/plugins/:name/reload',
    act((name) => loader.reload(name)),
    admin,
  );
  http.route(
    'DELETE',
    '/plugins/:name',
    act((name, req) => loader.unload(name, { force: req.query.force === 'true' })),
    admin,
  );
}

/** The loader's counts as Prometheus counters, read when scraped. */
function exportCounts(counts: LoaderCounts, registry: Registry): void {
  const names: Record<keyof LoaderCounts, string> = {
    loaded: 'flavorkit_loader_loaded_total',
    unloaded: 'flavorkit_loader_unloaded_total',
    failures: 'flavorkit_loader_failures_total',
    versionConflicts: 'flavorkit_loader_version_conflicts_total',
    skippedCandidates: 'flavorkit_loader_skipped_candidates_total',
  };
  for (const [key, name] of Object.entries(names) as Array<[keyof LoaderCounts, string]>) {
    new Counter({
      name,
      help: `Plugin loader: ${key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts[key]);
      },
    });
  }
}
