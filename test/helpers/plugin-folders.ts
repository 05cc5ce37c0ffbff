import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPluginFolder } from '../../src/loader/index.js';

/** A fresh plugins directory in the system's temp folder. */
export function pluginsDir(): string {
  return mkdtempSync(join(tmpdir(), 'flavorkit-plugins-'));
}

/** What a test plugin's `init` does. */
export type InitBehaviour = 'ok' | 'throw' | 'hang';

/**
 * The module of a greeter-like test plugin: `GET /<name>` answers its name and
 * version; `greet()` is what dependents call.
 */
export function pluginModule(options: { init?: InitBehaviour; acceptable?: boolean } = {}): string {
  // a failing init releases what it took itself: the agent closes only what initialised
  const init = {
    ok: '',
    throw: "http.unmount(router); throw new Error('init broke on purpose');",
    hang: "ctx.signal.addEventListener('abort', () => http.unmount(router)); return new Promise(() => {});",
  }[options.init ?? 'ok'];
  return `
${options.acceptable === false ? 'export function isAcceptable() { return false; }' : ''}
export function createPlugin(host) {
  const http = host.plugin('http');
  let router;
  return {
    greet(name) { return host.name + '@' + host.version + ' greets ' + name; },
    deps: host.dependencies,
    init(ctx) {
      router = http.router('/' + host.name);
      router.get('/', (req, res) => {
        const deps = Object.fromEntries(Object.entries(host.dependencies).filter(([n]) => n !== 'http').map(([n, d]) => [n, d.greet(host.name)]));
        res.json({ name: host.name, version: host.version, deps });
      });
      ${init}
    },
    close() { http.unmount(router); },
  };
}
`;
}

/** Writes `<root>/<name>-<version>/` with a manifest and a module; returns the folder. */
export async function writePlugin(
  root: string,
  manifest: Record<string, unknown> & { name: string; version: string },
  options: { code?: string; folder?: string; integrity?: boolean } = {},
): Promise<string> {
  const dir = join(root, options.folder ?? `${manifest.name}-${manifest.version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.mjs'), options.code ?? pluginModule());
  const full: Record<string, unknown> = {
    host: '^1.0.0',
    main: 'index.mjs',
    dependencies: { http: '*' },
    ...manifest,
  };
  if (options.integrity) full.integrity = await hashPluginFolder(dir);
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify(full));
  return dir;
}
