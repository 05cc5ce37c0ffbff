import { createRequire } from 'node:module';
import type { Container, Newable } from 'inversify';
import type { Entry } from './entry.js';

/**
 * InversifyJS, loaded on the first use of `agent.container` (synchronously:
 * Node loads the ES module through `require`), so that an agent that never
 * asks for its container does not pay for loading it.
 */
function inversify(): typeof import('inversify') {
  return createRequire(import.meta.url)('inversify') as typeof import('inversify');
}

/**
 * A container with every plugin bound by its name and, when no other plugin has
 * the same class, by its class.
 */
export function bindPlugins(entries: readonly Entry[]): Container {
  const container = new (inversify().Container)();
  const perClass = new Map<unknown, number>();
  for (const e of entries) {
    perClass.set(e.plugin.constructor, (perClass.get(e.plugin.constructor) ?? 0) + 1);
  }
  for (const e of entries) {
    container.bind(e.name).toConstantValue(e.plugin);
    if (perClass.get(e.plugin.constructor) === 1 && e.plugin.constructor !== Object) {
      container.bind(e.plugin.constructor as Newable).toConstantValue(e.plugin);
    }
  }
  return container;
}
