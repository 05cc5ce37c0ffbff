import type { Plugin } from '../plugin.js';

type Lifecycle = 'init' | 'afterInit' | 'beforeClose' | 'close';
type Depth = [never, 0, 1, 2, 3, 4, 5];

/** Dotted paths to every plugin field of a flavor, embedded flavors included (up to 6 levels). */
export type PluginPath<F, D extends number = 6> = [D] extends [never]
  ? never
  : {
      [K in keyof F & string]: F[K] extends Plugin
        ? K
        : F[K] extends object
          ? F[K] extends (...args: never[]) => unknown
            ? never
            : `${K}.${PluginPath<F[K], Depth[D]>}`
          : never;
    }[keyof F & string];

/** The type of the field at a dotted path. */
export type FieldAt<F, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof F
    ? FieldAt<F[Head], Rest>
    : never
  : P extends keyof F
    ? F[P]
    : never;

/**
 * What may replace a plugin of type `T`: a plugin with every public member of
 * `T` but the lifecycle and `deps`, with the same types. Private members do not
 * count, so an object literal or `mockPlugin(...)` fits.
 */
export type Replacement<T> = Plugin & Omit<{ [K in keyof T]: T[K] }, Lifecycle | 'deps'>;

/** Swaps by typed path: each value must have the shape of the plugin it replaces. */
export type Swaps<F> = { [P in PluginPath<F>]?: Replacement<FieldAt<F, P>> };
