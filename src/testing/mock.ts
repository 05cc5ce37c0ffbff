import type { InitContext, Phase, Plugin } from '../plugin.js';

/** How a mock plugin misbehaves: throw in a phase, or never settle in one. */
export interface MockBehaviour {
  fail?: Phase;
  hang?: Phase;
}

/** What `mockPlugin` adds to an implementation. */
export interface MockPlugin extends Required<Plugin> {
  /** The lifecycle calls this mock received, in order. */
  readonly calls: Phase[];
  /** Wired by the flavor's `inject()` like the plugin it replaces. */
  deps: Record<string, unknown>;
  /** The context of its last `init`. */
  ctx?: InitContext;
}

/**
 * A plugin for tests: `impl`'s members plus a lifecycle that records every call
 * and fails or hangs in the phase asked for.
 */
export function mockPlugin<T extends object = object>(
  impl: T = {} as T,
  behaviour: MockBehaviour = {},
): T & MockPlugin {
  const calls: Phase[] = [];
  const act = (phase: Phase): void | Promise<void> => {
    calls.push(phase);
    if (behaviour.fail === phase) throw new Error(`mock plugin failed in ${phase} on purpose`);
    if (behaviour.hang === phase) return new Promise<void>(() => undefined);
  };
  const mock: MockPlugin = {
    calls,
    deps: {},
    init(ctx: InitContext) {
      mock.ctx = ctx;
      return act('init');
    },
    afterInit: () => act('afterInit'),
    beforeClose: () => act('beforeClose'),
    close: () => act('close'),
  };
  return Object.assign(impl, mock);
}
