/** What `@Setting` adds to a configuration field. */
export interface SettingOptions {
  /** One line shown by `describeConfig()` and `--help`. */
  description?: string | undefined;
  /** The value never appears in logs, errors or dumps. */
  secret?: boolean | undefined;
}

const SETTINGS = Symbol('flavorkit.settings');

type WithSettings = { [SETTINGS]?: Map<string, SettingOptions> };

/** Describes a configuration field, or marks it secret. */
export function Setting(options: SettingOptions): PropertyDecorator {
  return (target, key) => {
    const proto = target as WithSettings;
    if (!Object.prototype.hasOwnProperty.call(proto, SETTINGS)) {
      Object.defineProperty(proto, SETTINGS, {
        value: new Map(proto[SETTINGS] ?? []),
        enumerable: false,
      });
    }
    proto[SETTINGS]!.set(String(key), options);
  };
}

/** The `@Setting` options of a field of a configuration class. */
export function settingOf(cls: new () => object, key: string): SettingOptions {
  return (cls.prototype as WithSettings)[SETTINGS]?.get(key) ?? {};
}

/** Fields a configuration class declares with `@Setting` (some may have no default). */
export function declaredSettings(cls: new () => object): string[] {
  return [...((cls.prototype as WithSettings)[SETTINGS]?.keys() ?? [])];
}
