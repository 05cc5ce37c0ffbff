import { toError } from './errors.js';
import type { AgentEvents } from './events.js';
import { setTimer } from './limits.js';

/** What `runUntilSignal` drives. */
export interface Runnable {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while a start is in progress, so that a signal can stop it. */
  starting(): boolean;
  /** Reports what happens to the process, as agent events. */
  emit<E extends 'signal' | 'fault' | 'exiting'>(name: E, event: AgentEvents[E]): void;
}

/**
 * How long a run that failed waits for the process to end by itself before it
 * ends it, so that a timer left by a plugin that timed out cannot hold it open.
 */
const EXIT_GRACE_MS = 500;

/**
 * How long the process may go on after a stop that a signal asked for: code
 * after `run()` gets this long, then a timer or socket a plugin forgot cannot
 * keep a process that was told to end alive.
 */
const SIGNAL_EXIT_GRACE_MS = 2000;

/**
 * Owns the process for an agent: starts, waits for one of `signals`, stops.
 * The exit code is 1 when the start or the stop failed, or when an unhandled
 * rejection or uncaught exception (logged, then answered with a graceful stop)
 * happened; after a failure the process ends even if something still holds it
 * open, and after a stop asked for by a signal it ends at most 2 s later. A
 * signal during the start stops it; a second signal while stopping exits at once.
 */
export async function runUntilSignal(target: Runnable, signals: NodeJS.Signals[]): Promise<void> {
  let signalled: (() => void) | undefined;
  const stopWanted = new Promise<void>((resolve) => (signalled = resolve));
  let received = 0;
  let failed = false;
  const requestStop = (): void => {
    signalled?.();
    if (target.starting()) void target.stop().catch(() => undefined);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    target.emit('signal', { signal, again: received > 1 });
    if (received > 1) process.exit(1);
    requestStop();
  };
  const onFault =
    (kind: 'unhandledRejection' | 'uncaughtException') =>
    (err: unknown): void => {
      target.emit('fault', { kind, error: toError(err) });
      failed = true;
      requestStop();
    };
  const onRejection = onFault('unhandledRejection');
  const onException = onFault('uncaughtException');
  const onExit = (code: number): void => target.emit('exiting', { code });
  for (const signal of signals) process.on(signal, onSignal);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  process.once('exit', onExit);
  try {
    try {
      await target.start();
    } catch {
      if (received === 0) failed = true;
      return;
    }
    // signal listeners alone do not keep Node running: hold the process open until one arrives
    const keepAlive = setInterval(() => undefined, 1 << 30);
    await stopWanted.finally(() => clearInterval(keepAlive));
    // a failed stop was announced by the agent's `stopped` event; here it only sets the exit code
    failed =
      (await target.stop().then(
        () => false,
        () => true,
      )) || failed;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    if (failed) {
      process.exitCode = 1;
      setTimer(EXIT_GRACE_MS, () => process.exit(1), true);
    } else if (received > 0) {
      setTimer(SIGNAL_EXIT_GRACE_MS, () => process.exit(), true);
    }
  }
}
