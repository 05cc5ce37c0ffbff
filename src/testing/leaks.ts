import { createHook, executionAsyncId } from 'node:async_hooks';

/** A handle a plugin opened and did not close. */
export interface Leak {
  plugin: string;
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

/**
 * Attributes async resources to the plugin whose lifecycle call created them,
 * directly or through the async chain started by that call, and lists those
 * still alive. `current` names the plugin whose call is running.
 */
export class LeakTracker {
  private readonly owner = new Map<number, string>();
  private readonly alive = new Map<number, Leak & { resource: unknown }>();
  private readonly hook = createHook({
    init: (id, type, triggerId, resource) => {
      const plugin =
        this.current ?? this.owner.get(triggerId) ?? this.owner.get(executionAsyncId());
      if (plugin === undefined) return;
      this.owner.set(id, plugin);
      if (WATCHED.has(type)) this.alive.set(id, { plugin, type, resource });
    },
    destroy: (id) => {
      this.owner.delete(id);
      this.alive.delete(id);
    },
  });

  /** The plugin whose lifecycle call is running, if any. */
  current?: string | undefined;

  start(): void {
    this.hook.enable();
  }

  /** Stops tracking and returns what is still open, after letting pending closes finish. */
  async stop(): Promise<Leak[]> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    this.hook.disable();
    // an unref'd timer (Node's own HTTP date cache, say) keeps nothing alive
    return [...this.alive.values()]
      .filter(({ resource }) => (resource as { hasRef?: () => boolean }).hasRef?.() !== false)
      .map(({ plugin, type }) => ({ plugin, type }));
  }
}
