import { type ConfigClass, settingNames } from './load.js';
import { envName } from './names.js';
import { settingOf } from './setting.js';
import { settingType, type SettingType } from './types.js';

/** One setting of one plugin, as `describeConfig()` and `--help` show it. */
export interface SettingDescription {
  plugin: string;
  setting: string;
  env: string;
  /** Key in the plugin's `<plugin>.yaml`. */
  fileKey: string;
  type: SettingType;
  /** The class default; `***` for secrets. */
  default: unknown;
  description: string;
  secret: boolean;
}

/** Describes every setting of a configuration class for one plugin of one agent. */
export function describeSettings(
  cls: ConfigClass,
  agent: string,
  plugin: string,
): SettingDescription[] {
  const defaults = new cls() as Record<string, unknown>;
  return settingNames(cls).map((setting) => {
    const { description = '', secret = false } = settingOf(cls, setting);
    return {
      plugin,
      setting,
      env: envName(agent, plugin, setting),
      fileKey: `${plugin}.yaml: ${setting}`,
      type: settingType(cls, setting, defaults[setting]),
      default: secret && defaults[setting] !== undefined ? '***' : defaults[setting],
      description,
      secret,
    };
  });
}

/** Settings as a plain-text table, one row per setting. */
export function formatSettings(rows: SettingDescription[]): string {
  const cells = rows.map((r) => [
    r.env,
    r.type,
    r.default === undefined ? '' : JSON.stringify(r.default),
    r.description,
  ]);
  const header = ['VARIABLE', 'TYPE', 'DEFAULT', 'DESCRIPTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
