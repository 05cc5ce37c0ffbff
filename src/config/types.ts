import { getMetadataStorage } from 'class-validator';

/** The kinds of value a setting can hold, as read from text. */
export type SettingType = 'string' | 'number' | 'boolean' | 'string[]' | 'number[]' | 'object';

const BY_VALIDATOR: Record<string, SettingType> = {
  isInt: 'number',
  isNumber: 'number',
  isPositive: 'number',
  isNegative: 'number',
  min: 'number',
  max: 'number',
  isPort: 'number',
  isBoolean: 'boolean',
  isArray: 'string[]',
  arrayNotEmpty: 'string[]',
  arrayMinSize: 'string[]',
  arrayMaxSize: 'string[]',
  isObject: 'object',
  validateNested: 'object',
  nestedValidation: 'object',
  isString: 'string',
};

/**
 * The type of a setting, from its default value, else from its class-validator
 * decorators (no `emitDecoratorMetadata` needed), else string.
 */
export function settingType(
  cls: new () => object,
  key: string,
  defaultValue: unknown,
): SettingType {
  if (typeof defaultValue === 'number') return 'number';
  if (typeof defaultValue === 'boolean') return 'boolean';
  if (typeof defaultValue === 'string') return 'string';
  if (Array.isArray(defaultValue)) {
    return defaultValue.every((v) => typeof v === 'number') && defaultValue.length > 0
      ? 'number[]'
      : 'string[]';
  }
  if (typeof defaultValue === 'object' && defaultValue !== null) return 'object';
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  for (const meta of metas) {
    if (meta.propertyName !== key) continue;
    const found = BY_VALIDATOR[meta.name ?? meta.type];
    if (found) return found;
  }
  return 'string';
}

/** Converts text (an environment variable) to `type`; throws a readable reason when it cannot. */
export function fromText(text: string, type: SettingType): unknown {
  switch (type) {
    case 'string':
      return text;
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error('is not a number');
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw new Error('is not a boolean (use true/false, 1/0, yes/no or on/off)');
    }
    case 'string[]':
      return splitList(text);
    case 'number[]':
      return splitList(text).map((item) => fromText(item, 'number'));
    case 'object': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error('is not a JSON object');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('is not a JSON object');
      }
      return parsed;
    }
  }
}

function splitList(text: string): string[] {
  return text.trim().startsWith('[')
    ? (JSON.parse(text) as unknown[]).map(String)
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}
