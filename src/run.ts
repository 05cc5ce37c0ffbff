import { toError } from './errors.js';
import type { Logger } from './logging/logger.js';

/** What `runUntilSignal` drives. */
export interface Runnable {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while a start is in progress, so that a signal can stop it. */
  starting(): boolean;
  /** Told of an uncaught exception or unhandled rejection after start, before the stop. */
  crashed?(error: Error): void;
}

/**
 * Starts, waits for one of `signals`, stops, and sets `process.exitCode` to 1
 * when the start or the stop failed. A signal during the start stops it; a
 * second signal while stopping exits at once.
 */
export async function runUntilSignal(
  target: Runnable,
  signals: NodeJS.Signals[],
  log: Logger,
): Promise<void> {
  let signalled: (() => void) | undefined;
  const stopWanted = new Promise<void>((resolve) => (signalled = resolve));
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received += 1;
    if (received > 1) {
      log.error(`${signal} received again while stopping: exiting now`);
      process.exit(1);
    }
    log.info(`${signal} received: stopping`);
    signalled?.();
    if (target.starting()) void target.stop().catch(() => undefined);
  };
  for (const signal of signals) process.on(signal, onSignal);
  try {
    try {
      await target.start();
    } catch {
      if (received === 0) process.exitCode = 1;
      return;
    }
    // an error nobody caught after start stops the agent as a signal would, and fails the exit
    const onCrash = (err: unknown) => {
      const error = toError(err);
      log.error(`uncaught error: ${error.message}: stopping`, { stack: error.stack });
      process.exitCode = 1;
      target.crashed?.(error);
      signalled?.();
    };
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    // signal listeners alone do not keep Node running: hold the process open until one arrives
    const keepAlive = setInterval(() => undefined, 1 << 30);
    await stopWanted.finally(() => {
      clearInterval(keepAlive);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    });
    try {
      await target.stop();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      log.error(toError(err).message, typeof code === 'string' ? { code } : {});
      process.exitCode = 1;
    }
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}
