import { setTimer, toError } from '../../src/index.js';
import type { Task } from './task.js';

/** `run` was refused because every worker is busy and the queue is full. */
export class QueueFullError extends Error {
  constructor(plugin: string, name: string, queued: number, workers: number) {
    super(
      `tasks plugin "${plugin}" refused task "${name}": ${workers} worker(s) busy and ${queued} task(s) queued, the queue is full; ` +
        'raise the queueSize or workers setting, or submit fewer tasks at once',
    );
    this.name = 'QueueFullError';
  }
}

/**
 * A fixed number of workers over a bounded queue. A worker stays taken until
 * its task's function settles, even when the task was cancelled or timed out
 * before, so a task that ignores its signal never lets more run than allowed.
 */
export class Pool {
  readonly queue: Task[] = [];
  readonly running = new Set<Task>();
  private idle?: (() => void) | undefined;

  constructor(
    private readonly plugin: string,
    private readonly workers: number,
    private readonly queueSize: number,
    private readonly finished: (task: Task) => void,
  ) {}

  submit(task: Task): void {
    if (this.running.size < this.workers) return this.start(task);
    if (this.queue.length >= this.queueSize)
      throw new QueueFullError(this.plugin, task.name, this.queue.length, this.workers);
    this.queue.push(task);
  }

  cancel(task: Task): void {
    const at = this.queue.indexOf(task);
    if (at >= 0) this.queue.splice(at, 1);
    const reason = new Error(`task "${task.name}" was cancelled`);
    task.controller.abort(reason);
    task.fail(reason, 'cancelled');
    if (at >= 0) this.finished(task);
  }

  /** Cancels every queued task and returns them. */
  dropQueued(): Task[] {
    const dropped = this.queue.splice(0);
    for (const task of dropped) {
      task.fail(new Error(`task "${task.name}" was dropped: the agent is stopping`), 'cancelled');
      this.finished(task);
    }
    return dropped;
  }

  /** Resolves true once no task runs, false after `limit` ms. */
  whenIdle(limit: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), limit);
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private start(task: Task): void {
    task.state = 'running';
    task.startedAt = Date.now();
    this.running.add(task);
    const { timeout } = task.options;
    const cancelTimer = setTimer(timeout ?? Infinity, () => {
      const reason = new Error(`task "${task.name}" timed out after ${timeout} ms`);
      task.controller.abort(reason);
      task.fail(reason);
    });
    void Promise.resolve()
      .then(() => task.fn(task.controller.signal, task.report))
      .then(
        (value) => task.succeed(value),
        (err: unknown) =>
          task.fail(err === undefined ? new Error('the task threw undefined') : toError(err)),
      )
      .finally(() => {
        cancelTimer();
        this.running.delete(task);
        this.finished(task);
        const next = this.queue.shift();
        if (next) this.start(next);
        else if (this.running.size === 0) this.idle?.();
      });
  }
}
