import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Pool } from './pool.js';
import type { Task } from './task.js';

/** Task metrics in the shared registry: finished by state, durations, skipped runs, queue and workers. */
export class TaskMetrics {
  private readonly finished: Counter;
  private readonly duration: Histogram;
  private readonly skips: Counter;
  private readonly tasks: Gauge;

  constructor(
    private readonly plugin: string,
    registry: Registry,
  ) {
    const registers = [registry];
    const reuse = <M>(name: string, make: () => M): M =>
      (registry.getSingleMetric(name) as M | undefined) ?? make();
    this.finished = reuse(
      'flavorkit_tasks_finished_total',
      () =>
        new Counter({
          name: 'flavorkit_tasks_finished_total',
          help: 'Tasks finished, by name and final state',
          labelNames: ['plugin', 'name', 'state'],
          registers,
        }),
    );
    this.duration = reuse(
      'flavorkit_task_duration_seconds',
      () =>
        new Histogram({
          name: 'flavorkit_task_duration_seconds',
          help: 'Time tasks ran',
          labelNames: ['plugin', 'name'],
          registers,
        }),
    );
    this.skips = reuse(
      'flavorkit_tasks_skipped_total',
      () =>
        new Counter({
          name: 'flavorkit_tasks_skipped_total',
          help: 'Recurring runs left out: the previous still running, or another replica ran it',
          labelNames: ['plugin', 'name', 'reason'],
          registers,
        }),
    );
    this.tasks = reuse(
      'flavorkit_tasks',
      () =>
        new Gauge({
          name: 'flavorkit_tasks',
          help: 'Tasks queued and running now',
          labelNames: ['plugin', 'state'],
          registers,
        }),
    );
  }

  /** Sets the queued and running gauges. */
  counts(pool: Pool): void {
    this.tasks.set({ plugin: this.plugin, state: 'queued' }, pool.queue.length);
    this.tasks.set({ plugin: this.plugin, state: 'running' }, pool.running.size);
  }

  taskFinished(task: Task): void {
    this.finished.inc({ plugin: this.plugin, name: task.name, state: task.state });
    if (task.startedAt !== undefined && task.finishedAt !== undefined)
      this.duration.observe(
        { plugin: this.plugin, name: task.name },
        (task.finishedAt - task.startedAt) / 1000,
      );
  }

  skipped(name: string, reason: string): void {
    this.skips.inc({ plugin: this.plugin, name, reason });
  }
}
