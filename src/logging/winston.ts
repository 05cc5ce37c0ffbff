import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/**
 * winston, loaded when a registry writes its first line (synchronously: it is a
 * CommonJS package), so that an agent that logs nothing while it starts does not
 * pay for its ~80 modules then.
 */
export function winston(): typeof import('winston') {
  return load('winston') as typeof import('winston');
}
