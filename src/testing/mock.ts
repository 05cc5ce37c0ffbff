import type { InitContext, Phase, Plugin } from '../plugin.js';

/** How a mock plugin misbehaves: throw in a phase, or never settle in one. */
export interface MockBehaviour {
  fail?: Phase | undefined;
  hang?: Phase | undefined;
}

/** What `mockPlugin` adds to an implementation. */
export interface MockPlugin extends Required<Plugin> {
  /** The lifecycle calls this mock received, in order. */
  readonly calls: Phase[];
  /** Wired by the flavor's `inject()` like the plugin it replaces. */
  deps: Record<string, unknown>;
  /** The context of its last `init`. */
  ctx?: InitContext | undefined;
}

/**
 * A plugin for tests: `impl`'s members plus a lifecycle that records every call
 * and fails or hangs in the phase asked for. `mockPlugin({ fail: 'init' })`
 * makes a mock with no members of its own.
 */
export function mockPlugin(behaviour?: MockBehaviour): MockPlugin;
export function mockPlugin<T extends object>(impl: T, behaviour?: MockBehaviour): T & MockPlugin;
export function mockPlugin<T extends object>(
  implOrBehaviour: T | MockBehaviour = {},
  behaviourArg: MockBehaviour = {},
): T & MockPlugin {
  const onlyBehaviour = isBehaviour(implOrBehaviour);
  const impl = (onlyBehaviour ? {} : implOrBehaviour) as T;
  const behaviour = onlyBehaviour ? implOrBehaviour : behaviourArg;
  const calls: Phase[] = [];
  const act = (phase: Phase): void | Promise<void> => {
    calls.push(phase);
    if (behaviour.fail === phase) throw new Error(`mock plugin failed in ${phase} on purpose`);
    if (behaviour.hang === phase) return new Promise<void>(() => undefined);
  };
  const mock: T & MockPlugin = Object.assign(impl, {
    calls,
    deps: {},
    init(ctx: InitContext) {
      // the object handed out, not a copy: its `ctx` is what the test reads
      mock.ctx = ctx;
      return act('init');
    },
    afterInit: () => act('afterInit'),
    beforeClose: () => act('beforeClose'),
    close: () => act('close'),
  });
  return mock;
}

/** True for `{ fail?: phase, hang?: phase }` with at least one of them. */
function isBehaviour(value: object): value is MockBehaviour {
  const entries = Object.entries(value);
  return (
    entries.length > 0 &&
    entries.every(([key, v]) => (key === 'fail' || key === 'hang') && typeof v === 'string')
  );
}
