import { describe, expect, it } from 'vitest';
import { Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { QueueFullError, TasksPlugin } from '../plugins/tasks/index.js';
import { deferred } from './helpers/deferred.js';

@Flavor()
class Work {
  @Plug() tasks = new TasksPlugin();
}

async function start(config: Record<string, unknown> = {}) {
  const t = await testAgent(new Work(), { config: { tasks: config } });
  return { ...t, tasks: t.flavor.tasks };
}

const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason as Error)),
  );

describe('tasks', () => {
  it('runs a task with progress and gives its result, state and duration', async () => {
    const { tasks } = await start();
    const halfway = deferred();
    const go = deferred();
    const handle = tasks.run('import', async (_signal, progress) => {
      progress(0.5, 'half the rows');
      halfway.resolve();
      await go.promise;
      return 42;
    });
    await halfway.promise;
    expect(handle.state).toBe('running');
    expect(handle.progress).toBe(0.5);
    expect(tasks.list()[0]).toMatchObject({
      name: 'import',
      state: 'running',
      note: 'half the rows',
    });
    go.resolve();
    expect(await handle.result).toBe(42);
    expect(handle.state).toBe('done');
    expect(handle.progress).toBe(1);
    expect(tasks.list()[0]).toMatchObject({ name: 'import', state: 'done' });
    expect(tasks.list()[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs no more tasks at once than it has workers, and refuses tasks when the queue is full', async () => {
    const { tasks } = await start({ workers: 2, queueSize: 2 });
    const release = deferred();
    let running = 0;
    let most = 0;
    const job = async () => {
      running++;
      most = Math.max(most, running);
      await release.promise;
      running--;
    };
    const handles = [1, 2, 3, 4].map((n) => tasks.run(`job-${n}`, job));
    expect(handles.map((h) => h.state)).toEqual(['running', 'running', 'queued', 'queued']);
    expect(() => tasks.run('one-too-many', job)).toThrow(QueueFullError);
    expect(() => tasks.run('one-too-many', job)).toThrow(/queue is full.*queueSize/);
    release.resolve();
    await Promise.all(handles.map((h) => h.result));
    expect(most).toBe(2);
  });

  it('fails a task that passes its time limit, aborting its signal', async () => {
    const { tasks } = await start();
    let seen: AbortSignal | undefined;
    const handle = tasks.run('slow', (signal) => ((seen = signal), untilAborted(signal)), {
      timeout: 20,
    });
    await expect(handle.result).rejects.toThrow(/"slow" timed out after 20 ms/);
    expect(handle.state).toBe('failed');
    expect(seen!.aborted).toBe(true);
  });

  it('cancels a queued task before it runs, and aborts a running one', async () => {
    const { tasks } = await start({ workers: 1 });
    const first = tasks.run('first', (signal) => untilAborted(signal));
    let ran = false;
    const second = tasks.run('second', () => void (ran = true));
    second.cancel();
    await expect(second.result).rejects.toThrow(/cancelled/);
    first.cancel();
    await expect(first.result).rejects.toThrow(/cancelled/);
    expect([first.state, second.state, ran]).toEqual(['cancelled', 'cancelled', false]);
  });

  it('fails a task that throws undefined, and keeps running others', async () => {
    const { tasks } = await start({ workers: 1 });
    const bad = tasks.run('bad', () => {
      throw undefined;
    });
    const good = tasks.run('good', () => 'fine');
    await expect(bad.result).rejects.toThrow('the task threw undefined');
    expect(await good.result).toBe('fine');
  });

  it('refuses bad names and time limits', async () => {
    const { tasks } = await start();
    expect(() => tasks.run('', () => 1)).toThrow(/name/);
    expect(() => tasks.run('a b', () => 1)).toThrow(/name/);
    expect(() => tasks.run('ok', () => 1, { timeout: -1 })).toThrow(/timeout/);
  });

  it('on stop drops queued tasks with a log line, aborts running ones after the drain limit, and waits no longer than the grace', async () => {
    const { tasks, stop, logs } = await start({ workers: 2, drainTimeout: 30, abortGrace: 50 });
    const polite = tasks.run('polite', (signal) => untilAborted(signal));
    const stubborn = tasks.run('stubborn', () => new Promise(() => undefined));
    const queued = tasks.run('queued', () => 1);
    const began = Date.now();
    await stop();
    expect(Date.now() - began).toBeLessThan(2_000);
    await expect(queued.result).rejects.toThrow(/dropped/);
    await expect(polite.result).rejects.toThrow(/aborted: the agent is stopping/);
    expect(stubborn.state).toBe('cancelled');
    const messages = logs.map((l) => l.message);
    expect(messages).toContainEqual(expect.stringMatching(/dropped 1 queued task\(s\): queued/));
    expect(messages).toContainEqual(expect.stringMatching(/ignored the abort: stubborn/));
    expect(() => tasks.run('late', () => 1)).toThrow(/not running/);
  });

  it('takes a timeout longer than 24.8 days, or Infinity, as a limit not yet reached', async () => {
    const { tasks } = await start();
    const go = deferred();
    const long = tasks.run('long', () => go.promise.then(() => 'long'), {
      timeout: 40 * 24 * 3_600_000,
    });
    const endless = tasks.run('endless', () => go.promise.then(() => 'endless'), {
      timeout: Infinity,
    });
    // a limit of 5 ms has passed, and one beyond what setTimeout can wait (it fires after 1 ms) would have too
    const short = tasks.run('short', (signal) => untilAborted(signal), { timeout: 5 });
    await expect(short.result).rejects.toThrow(/timed out/);
    go.resolve();
    expect(await long.result).toBe('long');
    expect(await endless.result).toBe('endless');
  });
});
