import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../scripts/entries.js';
import { listeningUrl, runNode } from './helpers/child.js';

// The package as users get it: built, packed, installed into a project outside the repository.
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
let dir: string;
let app: string;
let tarball: string;
/** What `npm install flavorkit` alone brings: package names and bytes. */
let core: { names: string[]; bytes: number };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flavorkit-package-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: root,
      encoding: 'utf8',
    }),
  ) as Array<{ filename: string }>;
  tarball = join(dir, packed[0]!.filename);
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
  const install = (...what: string[]) =>
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...what], {
      cwd: app,
    });
  install(tarball);
  const modules = join(app, 'node_modules');
  const names = readdirSync(modules).flatMap((n) =>
    n.startsWith('@')
      ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`)
      : n.startsWith('.')
        ? []
        : [n],
  );
  core = { names, bytes: du(modules) };
  // flavorkit/testing is for vitest users: its optional peer comes with it.
  const vitest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies
    .vitest as string;
  install(`vitest@${vitest}`);
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function du(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

describe('the published package', { timeout: 120_000 }, () => {
  it('imports every export path from the installed tarball', () => {
    const specifiers = entries(root).map((e) => e.specifier);
    const script = `for (const s of ${JSON.stringify(specifiers)}) console.log(s, Object.keys(await import(s)).length);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      encoding: 'utf8',
    });
    for (const specifier of specifiers)
      expect(out).toMatch(new RegExp(`^${specifier} [1-9]\\d*$`, 'm'));
  });

  it('runs the hello agent from the installed package, ready on /readiness, exit 0 on SIGTERM', async () => {
    const hello = join(app, 'hello');
    mkdirSync(hello);
    for (const file of ['main.ts', 'flavor.ts', 'greeter.ts']) {
      const source = readFileSync(join(root, 'examples/hello-agent', file), 'utf8');
      const { code } = transformSync(source, {
        loader: 'ts',
        format: 'esm',
        tsconfigRaw: {
          compilerOptions: { experimentalDecorators: true, useDefineForClassFields: false },
        },
      });
      writeFileSync(join(hello, file.replace(/\.ts$/, '.js')), code);
    }
    const child = runNode(join(hello, 'main.js'), [], {
      HELLO_HTTP_PORT: '0',
      HELLO_LOG_FORMAT: 'json',
    });
    await child.waitFor(/started in/);
    const readiness = await fetch(`${listeningUrl(child)}/readiness`);
    expect(readiness.status).toBe(200);
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  });

  it('passes publint and arethetypeswrong (ESM only)', () => {
    expect(() =>
      execFileSync(bin('publint'), ['--strict', tarball], { encoding: 'utf8' }),
    ).not.toThrow();
    expect(() =>
      execFileSync(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], {
        encoding: 'utf8',
      }),
    ).not.toThrow();
  });

  it('installs without any optional backend client, in about the size of the core', () => {
    for (const peer of [
      'pg',
      'redis',
      'etcd3',
      'amqplib',
      '@grpc/grpc-js',
      'ws',
      'fastify',
      '@sentry/node',
    ]) {
      expect(core.names).not.toContain(peer);
    }
    expect(core.names.length).toBeLessThanOrEqual(115);
    expect(core.bytes).toBeLessThan(50 * 1024 * 1024);
  });
});
