import { forbiddenKey } from './file.js';
import { getMetadataStorage } from './rules.js';

/** An optional minus, digits, an optional fraction: no hex, octal, binary or exponent. */
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

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
      // plain decimals only: Number() would also take 0x6E93, 0o17, 2.8e4 and -0
      const t = text.trim();
      if (!DECIMAL.test(t))
        throw new Error('is not a number (plain decimals only, like 8080 or 0.5)');
      const n = Number(t);
      if (Object.is(n, -0)) throw new Error('is not a number (-0 is refused)');
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
      const bad = forbiddenKey(parsed);
      if (bad) throw new Error(`holds the forbidden key "${bad}"`);
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
