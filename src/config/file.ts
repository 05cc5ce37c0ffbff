import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const load = createRequire(import.meta.url);

/** Parses YAML; the parser is loaded with the first YAML file, as most agents read none. */
function parseYaml(text: string): unknown {
  return (load('yaml') as typeof import('yaml')).parse(text);
}

/** A plugin's configuration file, parsed. */
export interface ConfigFile {
  path: string;
  values: Record<string, unknown>;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Keys that could reach an object's prototype; refused at any depth in every source. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads `<dir>/<plugin>.yaml|.yml|.json`, the first that exists, or returns
 * undefined. Throws an Error naming the file when it cannot be parsed or is not
 * a mapping; forbidden keys are reported per setting by `loadConfig`, beside the
 * file's other issues.
 */
export function readConfigFile(dir: string, plugin: string): ConfigFile | undefined {
  for (const ext of EXTENSIONS) {
    const path = join(dir, plugin + ext);
    if (!existsSync(path)) continue;
    let values: unknown;
    try {
      const text = readFileSync(path, 'utf8');
      values = ext === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new Error(`${path} cannot be parsed: ${(err as Error).message}`, { cause: err });
    }
    if (values === null || values === undefined) return { path, values: {} };
    if (typeof values !== 'object' || Array.isArray(values)) {
      throw new Error(`${path} must hold a mapping of setting names to values`);
    }
    return { path, values: values as Record<string, unknown> };
  }
  return undefined;
}

/** The dotted path of the first key that could reach a prototype, at any depth. */
export function forbiddenKey(value: unknown, path = ''): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const inner = forbiddenKey((value as Record<string, unknown>)[key], here);
    if (inner) return inner;
  }
  return undefined;
}
