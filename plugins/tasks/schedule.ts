import { type Logger, messageOf, setTimer } from '../../src/index.js';
import type { TaskLock } from './lock.js';
import type { Task } from './task.js';

/** The next run time after `now` (ms since the epoch), or undefined when there is none. */
export type NextRun = (now: number) => number | undefined;

/** Runs of an interval land on multiples of it, so every replica computes the same times. */
export function everyMs(ms: number): NextRun {
  return (now) => Math.floor(now / ms) * ms + ms;
}

/** What a recurring task needs from the plugin. */
export interface ScheduleContext {
  log: Logger;
  lock: TaskLock | undefined;
  /** Submits one run; throws when the queue is full. */
  submit(): Task;
  /** A run was left out: still running, or another replica took it. */
  skipped(reason: 'running' | 'elsewhere'): void;
}

/** A recurring task; `stop` ends it (a run in progress goes on). */
export interface Recurring {
  readonly name: string;
  /** When it runs next, while scheduled. */
  readonly nextRun: Date | undefined;
  stop(): void;
}

/**
 * Fires at each run time; skips the run when the previous one still runs, and,
 * when a lock is wired, unless it takes the lock for that run time: so of the
 * replicas sharing the lock exactly one runs it.
 */
export class Schedule implements Recurring {
  private cancelTimer?: (() => void) | undefined;
  private next?: number | undefined;
  private current?: Task | undefined;
  private stopped = true;

  constructor(
    readonly name: string,
    private readonly nextAfter: NextRun,
    private readonly once: boolean,
    private readonly ctx: ScheduleContext,
  ) {}

  get nextRun(): Date | undefined {
    return this.next === undefined ? undefined : new Date(this.next);
  }

  start(): void {
    this.stopped = false;
    this.arm(Date.now());
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.next = undefined;
  }

  private arm(after: number): void {
    if (this.stopped) return;
    const at = this.nextAfter(after);
    this.next = at;
    if (at === undefined) return;
    // also past the 24.8 days a single setTimeout can wait
    this.cancelTimer = setTimer(Math.max(0, at - Date.now()), () => void this.fire(at));
  }

  private async fire(at: number): Promise<void> {
    const following = this.nextAfter(at);
    this.arm(at);
    if (this.current && !this.current.finished) {
      this.ctx.log.debug(`"${this.name}" is still running: skipping the run at ${iso(at)}`);
      return this.ctx.skipped('running');
    }
    try {
      if (this.once && this.ctx.lock) {
        const ttl = Math.max(1_000, (following ?? at + 60_000) - at);
        const lease = await this.ctx.lock.lock(`tasks/${this.name}/${at}`, { ttl });
        if (!lease) return this.ctx.skipped('elsewhere');
      }
      if (this.stopped) return;
      this.current = this.ctx.submit();
    } catch (err) {
      this.ctx.log.warn(`"${this.name}" could not run at ${iso(at)}: ${messageOf(err)}`);
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
