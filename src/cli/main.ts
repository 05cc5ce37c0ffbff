import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from '../agent.js';
import { messageOf } from '../errors.js';
import { formatSettings } from '../config/describe.js';
import { hashPluginFolder, integrityMismatch } from '../loader/integrity.js';
import { MANIFEST, readManifest } from '../loader/manifest.js';
import { HostFlavor } from '../../flavors/host/index.js';

const USAGE = `usage:
  flavorkit run --plugins <dir> [--name <agent>] [--watch] [--help]
      run a host agent (RPC flavor and plugin loader) on a plugins directory
  flavorkit plugin hash <dir> [--write]
      print (or write into plugin.json) the integrity of a plugin folder
  flavorkit plugin check <dir>
      check a plugin folder's manifest and integrity`;

/** Runs the `flavorkit` command with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === 'run') return await run(argv.slice(1));
    if (command === 'plugin' && sub === 'hash') return await hash(rest);
    if (command === 'plugin' && sub === 'check') return await check(rest);
  } catch (err) {
    // one line, never a stack: a FlavorkitError's message already ends with its advice
    console.error(`flavorkit: ${messageOf(err).split('\n').join(' ').replace(/\s+/g, ' ')}`);
    return err instanceof TypeError && 'code' in err ? 2 : 1;
  }
  console.error(USAGE);
  return 2;
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      plugins: { type: 'string' },
      name: { type: 'string', default: 'host' },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (!values.plugins && !values.help) {
    console.error(`--plugins <dir> is required\n${USAGE}`);
    return 2;
  }
  const agent = new Agent(new HostFlavor(), {
    name: values.name,
    config: { loader: { dir: values.plugins ?? 'plugins', watch: values.watch } },
  });
  if (values.help) {
    console.log(formatSettings(agent.describeConfig()));
    return 0;
  }
  await agent.run();
  return Number(process.exitCode ?? 0);
}

async function hash(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { write: { type: 'boolean', default: false } },
  });
  const dir = positionals[0];
  if (!dir) {
    console.error(USAGE);
    return 2;
  }
  const integrity = await hashPluginFolder(dir);
  if (values.write) {
    const manifest = await readManifest(dir);
    const json = `${JSON.stringify({ ...manifest, integrity }, null, 2)}\n`;
    await writeFile(join(dir, MANIFEST), json);
  }
  console.log(integrity);
  return 0;
}

async function check(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const dir = positionals[0];
  if (!dir) {
    console.error(USAGE);
    return 2;
  }
  if (positionals.length > 1) {
    console.error('flavorkit: plugin check takes one folder; run it once per folder');
    return 2;
  }
  try {
    const manifest = await readManifest(dir);
    const mismatch = await integrityMismatch(dir, manifest);
    if (mismatch) {
      console.error(`${dir}: ${mismatch}`);
      return 1;
    }
    const note = manifest.integrity
      ? 'integrity ok'
      : `no integrity field (files hash to ${await hashPluginFolder(dir)})`;
    console.log(`${dir}: ${manifest.name}@${manifest.version} ok, ${note}`);
    return 0;
  } catch (err) {
    console.error(`${dir}: ${(err as Error).message}`);
    return 1;
  }
}
