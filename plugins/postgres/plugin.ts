import type { Pool } from 'pg';
import {
  backoffDelay,
  importPeer,
  type InitContext,
  type Logger,
  messageOf,
  pause,
  type Plugin,
  withTimeout,
} from '../../src/index.js';
import type { Metrics } from '../prometheus/index.js';
import type { StatusReporter } from '../status-check/index.js';
import { PostgresConfig } from './config.js';
import type { Database, Engine, QueryResult, Queryable } from './database.js';
import { EmbeddedEngine } from './embedded.js';
import { postgresMetrics, type QueryObserver } from './metrics.js';
import { migrate, readMigrations } from './migrations.js';
import { ServerEngine } from './server.js';
import { pgliteTemplate } from './template.js';
import { scrub, serverTarget, type ServerTarget } from './target.js';

/** What a Postgres plugin reports to and measures into; both optional. */
export interface PostgresDeps {
  status?: StatusReporter;
  metrics?: Metrics;
}

const clock = performance;

/**
 * A PostgreSQL connection pool (`pg`), or embedded PGlite when neither `url` nor
 * `host` is set. `init` connects (or waits for the server with `waitForServer`)
 * and applies the migrations folder; a probe reports health to the status
 * check; `close` lets running queries finish within `drainTimeout`, then ends
 * the pool. Queries keep working through `beforeClose`, while the HTTP server
 * drains its requests.
 */
export class PostgresPlugin implements Plugin, Database {
  static readonly configClass = PostgresConfig;
  deps: PostgresDeps = {};
  private engine: Engine | undefined;
  private name = 'postgres';
  private cfg = new PostgresConfig();
  private log?: Logger;
  private secrets: readonly string[] = [];
  private observe: QueryObserver | undefined;
  private removeMetrics: (() => void) | undefined;
  private inflight = 0;
  private closing = false;
  private stopping = false;
  private down = false;
  private wake: (() => void) | undefined;

  get embedded(): boolean {
    return this.engine instanceof EmbeddedEngine;
  }

  get pool(): Pool {
    const engine = this.started();
    if (!engine.pool) {
      throw new Error(
        `plugin "${this.name}" runs embedded PGlite, which has no pg Pool; set its url or host to use a PostgreSQL server`,
      );
    }
    return engine.pool;
  }

  async init(ctx: InitContext): Promise<void> {
    this.name = ctx.name;
    this.log = ctx.log;
    this.cfg = ctx.config(PostgresConfig);
    this.closing = false;
    this.stopping = false;
    const target = serverTarget(ctx.name, this.cfg);
    this.secrets = target?.secrets ?? [];
    const engine = target ? await this.connect(ctx, target) : await this.openEmbedded(ctx);
    try {
      if (this.cfg.migrations) await this.migrate(engine, this.cfg.migrations);
    } catch (err) {
      await engine.end(true);
      throw err;
    }
    this.engine = engine;
    const registry = this.deps.metrics?.registry;
    if (registry) {
      const series = postgresMetrics(registry, ctx.name, engine.stats?.bind(engine));
      this.observe = series.observe;
      this.removeMetrics = series.remove;
    }
    this.deps.status?.register(ctx.name, () => this.probe(), {
      interval: this.cfg.healthInterval,
      timeout: this.cfg.healthTimeout,
    });
    ctx.log.info(
      target
        ? `using ${engine.description}`
        : `using ${engine.description}; set url or host to use a PostgreSQL server`,
    );
  }

  beforeClose(): void {
    this.stopping = true;
  }

  async close(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    this.closing = true;
    const drained = await this.drain(engine);
    if (!drained) {
      this.log?.warn(
        `queries still running after drainTimeout (${this.cfg.drainTimeout} ms) are cut off`,
      );
    }
    await engine.end(!drained);
    this.removeMetrics?.();
    this.removeMetrics = undefined;
    this.observe = undefined;
    this.engine = undefined;
  }

  async query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> {
    const engine = this.usable();
    this.inflight++;
    const began = clock.now();
    let failed = false;
    try {
      return await engine.query<R>(text, params);
    } catch (err) {
      failed = true;
      throw this.explain(err);
    } finally {
      this.finished(began, failed);
    }
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const engine = this.usable();
    this.inflight++;
    try {
      return await engine.transaction((tx) => work(this.measured(tx)));
    } catch (err) {
      throw this.explain(err);
    } finally {
      this.inflight--;
      if (this.closing) this.wake?.();
    }
  }

  /** A transaction's statements, counted in the metrics like the plugin's own. */
  private measured(tx: Queryable): Queryable {
    return {
      query: async (text, params) => {
        const began = clock.now();
        let failed = false;
        try {
          return await tx.query(text, params);
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          this.observe?.((clock.now() - began) / 1000, failed);
        }
      },
    };
  }

  private finished(began: number, failed: boolean): void {
    this.inflight--;
    this.observe?.((clock.now() - began) / 1000, failed);
    if (this.closing) this.wake?.();
  }

  private started(): Engine {
    if (!this.engine) {
      throw new Error(
        `plugin "${this.name}" is not started: use it from init of a plugin that depends on it, or later`,
      );
    }
    return this.engine;
  }

  private usable(): Engine {
    const engine = this.started();
    if (this.closing) {
      throw new Error(`plugin "${this.name}" is stopping and takes no new queries`);
    }
    return engine;
  }

  /** A query's error as it is, or said to be cut off when the plugin was stopping. */
  private explain(err: unknown): unknown {
    if (!this.closing) return err;
    return new Error(
      `plugin "${this.name}" stopped before the query finished: ${scrub(messageOf(err), this.secrets)}`,
      { cause: err },
    );
  }

  /** Resolves true once nothing runs, or false when `drainTimeout` passes first. */
  private drain(engine: Engine): Promise<boolean> {
    const quiet = () => this.inflight === 0 && engine.idle();
    if (quiet()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.cfg.drainTimeout);
      const stopWatching = engine.onActivity(() => this.wake?.());
      const done = (result: boolean) => {
        clearTimeout(timer);
        stopWatching();
        this.wake = undefined;
        resolve(result);
      };
      this.wake = () => {
        if (quiet()) done(true);
      };
    });
  }

  /** Opens the pool and makes one round trip; with `waitForServer`, retries until `ctx.signal` aborts. */
  private async connect(ctx: InitContext, target: ServerTarget): Promise<Engine> {
    const pg = await importPeer(ctx.name, 'pg', () => import('pg'));
    const cfg = this.cfg;
    const engine = new ServerEngine(
      pg,
      {
        ...target.connection,
        max: cfg.poolSize,
        connectionTimeoutMillis: cfg.connectTimeout,
        application_name: cfg.applicationName ?? ctx.agent.label,
        ...(cfg.statementTimeout > 0 ? { statement_timeout: cfg.statementTimeout } : {}),
        ...(cfg.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
      },
      target.description,
      (err) => this.lost(err),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await withTimeout(
          engine.query('SELECT 1'),
          cfg.connectTimeout,
          () => new Error(`no answer within ${cfg.connectTimeout} ms`),
        );
        return engine;
      } catch (err) {
        const reason = `cannot connect to PostgreSQL at ${target.address}: ${scrub(messageOf(err), target.secrets)}`;
        if (!cfg.waitForServer) {
          await engine.end(true);
          throw new Error(
            `${reason}. Check that the server runs and the plugin's url or host/port settings`,
            { cause: err },
          );
        }
        if (attempt === 0) ctx.log.warn(`${reason}; waiting for it (waitForServer)`);
        try {
          await pause(backoffDelay(attempt, 100, 2_000), ctx.signal);
        } catch {
          await engine.end(true);
          throw new Error(`${reason}; stopped waiting for it when the start limit ended`);
        }
      }
    }
  }

  private async openEmbedded(ctx: InitContext): Promise<Engine> {
    const module = await importPeer(
      ctx.name,
      '@electric-sql/pglite',
      () => import('@electric-sql/pglite'),
    );
    return EmbeddedEngine.open(module, pgliteTemplate(), this.cfg.dataDir);
  }

  private async migrate(engine: Engine, dir: string): Promise<void> {
    const { applied, skipped } = await migrate(
      engine,
      await readMigrations(dir),
      this.cfg.migrationsTable,
    );
    const list = applied.length > 0 ? `: ${applied.join(', ')}` : '';
    this.log?.info(`migrations: ${applied.length} applied${list}, ${skipped} already applied`);
  }

  /** The health probe: one `SELECT 1`; logs when the server goes away and when it is back. */
  private async probe(): Promise<void> {
    const engine = this.engine;
    if (!engine || this.stopping) return;
    try {
      await engine.query('SELECT 1');
    } catch (err) {
      this.lost(err);
      throw new Error(this.failure(err), { cause: err });
    }
    if (this.down) {
      this.down = false;
      this.log?.info(`${engine.description} answers again`);
    }
  }

  /** A connection failed: the status check hears it at once, the log once per outage. */
  private lost(err: unknown): void {
    const message = this.failure(err);
    this.deps.status?.report(this.name, 'error', message);
    if (this.down) return;
    this.down = true;
    this.log?.warn(message);
  }

  private failure(err: unknown): string {
    const where = this.engine?.description ?? 'PostgreSQL';
    return `${where} does not answer: ${scrub(messageOf(err), this.secrets)}`;
  }
}
