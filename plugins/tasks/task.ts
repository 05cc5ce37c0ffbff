import { randomUUID } from 'node:crypto';

/** Where a task is in its life. */
export type TaskState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Reports how far a task is: a fraction from 0 to 1, and an optional note. */
export type Progress = (fraction: number, note?: string) => void;

/** The work of a task; it should stop when `signal` aborts. */
export type TaskFn<T> = (signal: AbortSignal, progress: Progress) => T | Promise<T>;

/** Options of one `run`. */
export interface RunOptions {
  /** Ms the task may run; then its signal aborts and it fails. */
  timeout?: number;
}

/** A task as the diagnostics page and its JSON show it. */
export interface TaskInfo {
  id: string;
  name: string;
  state: TaskState;
  progress: number;
  note?: string;
  /** Ms it ran (so far, while running). */
  durationMs?: number;
  error?: string;
}

/** What `run` returns. */
export interface TaskHandle<T = unknown> {
  readonly id: string;
  readonly name: string;
  readonly state: TaskState;
  /** 0 to 1, as the task last reported. */
  readonly progress: number;
  /** Settles with the task's value, or rejects with its error, timeout or cancellation. */
  readonly result: Promise<T>;
  /** Takes a queued task off the queue, or aborts a running one's signal. */
  cancel(): void;
}

/** One task, from queued to finished. */
export class Task<T = unknown> implements TaskHandle<T> {
  readonly id = randomUUID();
  state: TaskState = 'queued';
  progress = 0;
  note?: string;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  readonly result: Promise<T>;
  readonly controller = new AbortController();
  private settle!: { resolve: (value: T) => void; reject: (err: Error) => void };

  constructor(
    readonly name: string,
    readonly fn: TaskFn<T>,
    readonly options: RunOptions,
    private readonly onCancel: (task: Task<T>) => void,
  ) {
    this.result = new Promise<T>((resolve, reject) => (this.settle = { resolve, reject }));
    // a result nobody awaits must not become an unhandled rejection
    this.result.catch(() => undefined);
  }

  cancel(): void {
    if (this.finished) return;
    this.onCancel(this);
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed' || this.state === 'cancelled';
  }

  readonly report: Progress = (fraction, note) => {
    if (this.finished || !Number.isFinite(fraction)) return;
    this.progress = Math.min(1, Math.max(0, fraction));
    if (note !== undefined) this.note = note;
  };

  succeed(value: T): void {
    if (this.finish('done')) this.settle.resolve(value);
  }

  fail(err: Error, state: 'failed' | 'cancelled' = 'failed'): void {
    if (!this.finish(state)) return;
    this.error = err.message;
    this.settle.reject(err);
  }

  info(now: number): TaskInfo {
    const end = this.finishedAt ?? now;
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      progress: this.progress,
      ...(this.note === undefined ? {} : { note: this.note }),
      ...(this.startedAt === undefined ? {} : { durationMs: end - this.startedAt }),
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }

  private finish(state: TaskState): boolean {
    if (this.finished) return false;
    this.state = state;
    this.finishedAt = Date.now();
    if (state === 'done') this.progress = 1;
    return true;
  }
}
