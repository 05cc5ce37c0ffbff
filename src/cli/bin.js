#!/usr/bin/env node
// Entry of the `flavorkit` command: the compiled build when there is one, else the
// TypeScript sources through tsx (in a checkout of this repository).
try {
  await import('../../dist/src/cli/flavorkit.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist')) throw err;
  const { register } = await import('tsx/esm/api');
  register();
  await import('./flavorkit.ts');
}
