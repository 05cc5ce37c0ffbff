import { statSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { FORBIDDEN_KEYS, forbiddenKey, readConfigFile } from './file.js';
import { envName } from './names.js';
import { getMetadataStorage, validateSync } from './rules.js';
import { declaredSettings, settingOf } from './setting.js';
import { fromText, settingType } from './types.js';

/** Where a plugin's settings come from, lowest precedence first after the class defaults. */
export interface ConfigSources {
  agent: string;
  plugin: string;
  /** Directory holding `<plugin>.yaml|.yml|.json`. */
  dir?: string | undefined;
  env: Record<string, string | undefined>;
  /** Values given in code. */
  values?: Record<string, unknown> | undefined;
}

/** A configuration class: defaults as field initialisers, rules as class-validator decorators. */
export type ConfigClass<T extends object = object> = new () => T;

/** The settings of a configuration class: fields with defaults, `@Setting` or a validator. */
export function settingNames(cls: ConfigClass): string[] {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(cls, '', true, false)
    .map((m) => m.propertyName);
  return [...new Set([...Object.keys(new cls()), ...declaredSettings(cls), ...validated])];
}

/**
 * Builds a validated configuration: class defaults, then the plugin's file, then
 * environment variables, then values from code. Throws one `ConfigError` listing
 * every bad setting with its source.
 */
export function loadConfig<T extends object>(cls: ConfigClass<T>, sources: ConfigSources): T {
  const config = new cls() as Record<string, unknown>;
  const names = settingNames(cls);
  const known = new Set(names);
  const origin = new Map<string, string>(names.map((n) => [n, 'default']));
  const issues: ConfigIssue[] = [];
  const issue = (setting: string, source: string, message: string) =>
    issues.push({ plugin: sources.plugin, setting, source, message });

  const assign = (values: Record<string, unknown>, source: string) => {
    for (const [key, value] of Object.entries(values)) {
      const inner = FORBIDDEN_KEYS.has(key) ? key : forbiddenKey(value, key);
      if (inner) issue(key, source, `holds the forbidden key "${inner}"`);
      else if (!known.has(key))
        issue(key, source, `is not a setting of this plugin${hint(key, names)}`);
      else {
        config[key] = value;
        origin.set(key, source);
      }
    }
  };

  const dirProblem = sources.dir ? directoryProblem(sources.dir) : undefined;
  if (sources.dir && dirProblem) {
    issue('*', `config directory ${sources.dir}`, dirProblem);
  } else if (sources.dir) {
    try {
      const file = readConfigFile(sources.dir, sources.plugin);
      if (file) assign(file.values, `file ${file.path}`);
    } catch (err) {
      issue('*', `file in ${sources.dir}`, (err as Error).message);
    }
  }
  for (const name of names) {
    const variable = envName(sources.agent, sources.plugin, name);
    const text = sources.env[variable];
    if (text === undefined) continue;
    try {
      config[name] = fromText(text, settingType(cls, name, config[name]));
      origin.set(name, `env ${variable}`);
    } catch (err) {
      const shown = settingOf(cls, name).secret ? '(secret)' : JSON.stringify(text);
      issue(name, `env ${variable}`, `${shown} ${(err as Error).message}`);
    }
  }
  if (sources.values) assign(sources.values, 'code');

  for (const error of validateSync(config, { forbidUnknownValues: false })) {
    const messages = Object.values(error.constraints ?? {});
    if (messages.length === 0) messages.push('is invalid');
    for (const message of messages) {
      issue(error.property, origin.get(error.property) ?? 'default', message);
    }
  }
  if (issues.length > 0) throw new ConfigError(sources.plugin, issues);
  return config as T;
}

/** A copy of a configuration with every secret replaced by `***`, for logs and dumps. */
export function redacted<T extends object>(
  cls: ConfigClass<T>,
  config: T,
): Record<string, unknown> {
  const copy = { ...config } as Record<string, unknown>;
  for (const key of Object.keys(copy)) if (settingOf(cls, key).secret) copy[key] = '***';
  return copy;
}

function hint(key: string, names: string[]): string {
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const near = names.find((n) => n.toLowerCase() === lower);
  return near ? ` (did you mean "${near}"?)` : ` (settings: ${names.join(', ')})`;
}

/** Why `dir` cannot be the config directory, or undefined when it can. */
function directoryProblem(dir: string): string | undefined {
  try {
    const found = statSync(dir, { throwIfNoEntry: false });
    if (!found) return 'does not exist; create it or unset it';
    return found.isDirectory()
      ? undefined
      : 'is not a directory; name the directory that holds the files';
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}
