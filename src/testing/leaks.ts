import { AsyncResource, createHook, executionAsyncId } from 'node:async_hooks';

/** A handle a plugin opened and did not close. */
export interface Leak {
  plugin: string;
  phase: string;
  type: string;
}

/** Resource types that keep work alive after a stop: timers and sockets. */
const WATCHED = new Set([
  'Timeout',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'UDPWRAP',
  'FSEVENTWRAP',
  'PROCESSWRAP',
]);

/** Where a resource came from: the plugin and the lifecycle call that made it. */
interface Origin {
  plugin: string;
  phase: string;
}

/**
 * Attributes async resources to the plugin whose lifecycle call created them,
 * and lists those still alive. Each call runs in an async scope of its own
 * (`run`); a resource belongs to a plugin only when it is created while that
 * scope, or something started in it, executes. Code that merely awaits a
 * plugin (the test, vitest, another agent) creates its resources in its own
 * scope, so they are never blamed on the plugin.
 */
export class LeakTracker {
  private readonly owner = new Map<number, Origin>();
  private readonly alive = new Map<number, Leak & { resource: unknown }>();
  private readonly hook = createHook({
    init: (id, type, _triggerId, resource) => {
      // the creating context, not the trigger: a promise's trigger is the promise
      // it waits for, which would hand the caller's continuation to the callee
      const origin = this.owner.get(executionAsyncId());
      if (origin === undefined) return;
      this.owner.set(id, origin);
      if (WATCHED.has(type)) this.alive.set(id, { ...origin, type, resource });
    },
    destroy: (id) => {
      this.owner.delete(id);
      this.alive.delete(id);
    },
  });

  start(): void {
    this.hook.enable();
  }

  /** Runs one lifecycle call of `plugin` in its own async scope, so that what it creates is its own. */
  run<R>(plugin: string, phase: string, call: () => R): R {
    const scope = new AsyncResource('FlavorkitPluginCall');
    this.owner.set(scope.asyncId(), { plugin, phase });
    return scope.runInAsyncScope(call);
  }

  /** Stops tracking and returns what is still open, after letting pending closes finish. */
  async stop(): Promise<Leak[]> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    this.hook.disable();
    // an unref'd timer (Node's own HTTP date cache, say) keeps nothing alive
    return [...this.alive.values()]
      .filter(({ resource }) => (resource as { hasRef?: () => boolean }).hasRef?.() !== false)
      .map(({ plugin, phase, type }) => ({ plugin, phase, type }));
  }
}
