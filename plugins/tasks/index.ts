import {
  ConfigError,
  type InitContext,
  type Logger,
  messageOf,
  type Plugin,
} from '../../src/index.js';
import type { Metrics } from '../prometheus/index.js';
import { TasksConfig } from './config.js';
import type { TaskLock } from './lock.js';
import { TaskMetrics } from './metrics.js';
import { Pool } from './pool.js';
import { everyMs, Schedule, type NextRun, type Recurring } from './schedule.js';
import { Task, type RunOptions, type TaskFn, type TaskHandle, type TaskInfo } from './task.js';

export { TasksConfig } from './config.js';
export { MemoryLocks, tryLocks, type Lease, type TaskLock, type WaitingLocks } from './lock.js';
export { QueueFullError } from './pool.js';
export type { Recurring } from './schedule.js';
export type { Progress, RunOptions, TaskFn, TaskHandle, TaskInfo, TaskState } from './task.js';

/** Options of a recurring task. */
export interface RecurringOptions extends RunOptions {
  /** With a lock wired, run on one replica only; default true. */
  once?: boolean;
}

/** When a recurring task runs: every so many ms, or on a cron expression. */
export type When = { everyMs: number } | { cron: string };

/** What dependents of the tasks plugin use. */
export interface TaskManager {
  /** Queues a task; throws `QueueFullError` when every worker is busy and the queue is full. */
  run<T>(name: string, fn: TaskFn<T>, options?: RunOptions): TaskHandle<T>;
  /** Runs a task again and again; a run is skipped while the previous one still runs. */
  every(name: string, when: When, fn: TaskFn<unknown>, options?: RecurringOptions): Recurring;
  /** Running and queued tasks, then the latest finished ones. */
  list(): TaskInfo[];
}

type Croner = typeof import('croner');

/**
 * A worker pool with a bounded queue, progress, time limits and recurring
 * tasks (intervals or cron, optionally once across replicas through a lock).
 * Recurring tasks start at `afterInit`; `beforeClose` stops them, drops the
 * queue with a log line, and gives running tasks the drain limit before
 * aborting their signal.
 */
export class TasksPlugin implements Plugin, TaskManager {
  static readonly configClass = TasksConfig;
  deps: { lock?: TaskLock; metrics?: Metrics } = {};
  private config = new TasksConfig();
  private pool?: Pool;
  private metrics?: TaskMetrics | undefined;
  private log?: Logger;
  private name = 'tasks';
  private croner?: Croner | undefined;
  private readonly schedules = new Set<Schedule>();
  private readonly history: Task[] = [];
  private serving = false;
  private closing = false;

  async init(ctx: InitContext): Promise<void> {
    this.config = ctx.config(TasksConfig);
    this.log = ctx.log;
    this.name = ctx.name;
    const registry = this.deps.metrics?.registry;
    this.metrics = registry ? new TaskMetrics(ctx.name, registry) : undefined;
    this.pool = new Pool(ctx.name, this.config.workers, this.config.queueSize, (task) =>
      this.finished(task),
    );
    // cron is optional: only schedules given as cron expressions need it
    this.croner = await import('croner').catch(() => undefined);
  }

  afterInit(): void {
    this.serving = true;
    for (const schedule of this.schedules) schedule.start();
  }

  async beforeClose(): Promise<void> {
    this.serving = false;
    this.closing = true;
    for (const schedule of this.schedules) schedule.stop();
    const pool = this.pool;
    if (!pool) return;
    const dropped = pool.dropQueued();
    if (dropped.length > 0) {
      const names = [...new Set(dropped.map((t) => t.name))].join(', ');
      this.log?.warn(`stopping: dropped ${dropped.length} queued task(s): ${names}`);
    }
    if (await pool.whenIdle(this.config.drainTimeout)) return;
    this.log?.warn(
      `${pool.running.size} task(s) still running after ${this.config.drainTimeout} ms: aborting them`,
    );
    for (const task of pool.running) {
      const reason = new Error(`task "${task.name}" was aborted: the agent is stopping`);
      task.controller.abort(reason);
      task.fail(reason, 'cancelled');
    }
    if (!(await pool.whenIdle(this.config.abortGrace)))
      this.log?.warn(
        `${pool.running.size} task(s) ignored the abort: ${[...pool.running].map((t) => t.name).join(', ')}`,
      );
  }

  run<T>(name: string, fn: TaskFn<T>, options: RunOptions = {}): TaskHandle<T> {
    const pool = this.ready();
    checkName(name);
    if (options.timeout !== undefined && !(options.timeout > 0))
      throw new TypeError(`tasks: the timeout of "${name}" must be a positive number of ms`);
    const task = new Task(name, fn, options, (t) => pool.cancel(t as Task));
    pool.submit(task as Task);
    this.metrics?.counts(pool);
    return task;
  }

  every(name: string, when: When, fn: TaskFn<unknown>, options: RecurringOptions = {}): Recurring {
    this.ready();
    checkName(name);
    const { once = true, ...run } = options;
    const schedule = new Schedule(name, this.nextRun(name, when), once, {
      log: this.log!,
      lock: this.deps.lock,
      submit: () => this.run(name, fn, run) as Task,
      skipped: (reason) => this.metrics?.skipped(name, reason),
    });
    this.schedules.add(schedule);
    if (this.serving) schedule.start();
    return {
      name,
      get nextRun() {
        return schedule.nextRun;
      },
      stop: () => {
        schedule.stop();
        this.schedules.delete(schedule);
      },
    };
  }

  list(): TaskInfo[] {
    const now = Date.now();
    const pool = this.pool;
    const live = pool ? [...pool.running, ...pool.queue] : [];
    return [...live, ...[...this.history].reverse()].map((t) => t.info(now));
  }

  private nextRun(name: string, when: When): NextRun {
    if ('everyMs' in when) {
      if (!Number.isInteger(when.everyMs) || when.everyMs < 1)
        throw new TypeError(`tasks: "${name}" must run every whole number of ms, at least 1`);
      return everyMs(when.everyMs);
    }
    if (!this.croner) {
      throw new ConfigError(this.name, [
        {
          plugin: this.name,
          setting: `every("${name}")`,
          source: 'code',
          message: 'cron schedules need the package croner: npm install croner',
        },
      ]);
    }
    let cron: InstanceType<Croner['Cron']>;
    try {
      cron = new this.croner.Cron(when.cron);
    } catch (err) {
      throw new TypeError(
        `tasks: "${when.cron}" of "${name}" is no cron expression: ${messageOf(err)}`,
        { cause: err },
      );
    }
    return (now) => cron.nextRun(new Date(now))?.getTime();
  }

  private ready(): Pool {
    if (!this.pool || this.closing)
      throw new Error(
        `tasks plugin "${this.name}" is not running: start the agent first, or it is stopping`,
      );
    return this.pool;
  }

  private finished(task: Task): void {
    this.history.push(task);
    if (this.history.length > this.config.history) this.history.shift();
    this.metrics?.taskFinished(task);
    if (this.pool) this.metrics?.counts(this.pool);
    if (task.state === 'failed') this.log?.warn(`task "${task.name}" failed: ${task.error}`);
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !/^[\w.:-]{1,100}$/.test(name))
    throw new TypeError(
      `tasks: name ${JSON.stringify(name)} is not valid: use 1 to 100 letters, digits, ".", ":", "-" or "_"`,
    );
}
