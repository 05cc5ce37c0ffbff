import { KvError, messageOf } from '../../src/index.js';
import type { Codec } from './types.js';

/** Longest key, in UTF-8 bytes, prefix included. */
export const MAX_KEY_BYTES = 4_096;

/** Checks a key; returns it. Keys are non-empty strings without NUL characters; `/` is an ordinary character. */
export function checkKey(plugin: string, key: unknown, what = 'key'): string {
  if (typeof key !== 'string')
    throw new KvError(plugin, 'invalid-key', `the ${what} is ${typeof key}, not a string`, ADVICE);
  if (key === '') throw new KvError(plugin, 'invalid-key', `the ${what} is empty`, ADVICE);
  checkText(plugin, key, what);
  return key;
}

/** Checks a prefix; the empty prefix (everything) is allowed. */
export function checkPrefix(plugin: string, prefix: unknown): string {
  if (typeof prefix !== 'string')
    throw new KvError(
      plugin,
      'invalid-key',
      `the prefix is ${typeof prefix}, not a string`,
      ADVICE,
    );
  checkText(plugin, prefix, 'prefix');
  return prefix;
}

function checkText(plugin: string, text: string, what: string): void {
  if (text.includes('\0'))
    throw new KvError(plugin, 'invalid-key', `the ${what} contains a NUL character`, ADVICE);
  if (Buffer.byteLength(text) > MAX_KEY_BYTES)
    throw new KvError(
      plugin,
      'invalid-key',
      `the ${what} is longer than ${MAX_KEY_BYTES} bytes`,
      'Use shorter keys; keep large data in values',
    );
}

const ADVICE = 'Keys are non-empty strings such as "/config/greeting"';

/** Encodes a value with the codec and checks its size; throws before anything is written. */
export function encodeValue<T>(
  plugin: string,
  codec: Codec<T>,
  key: string,
  value: T,
  maxBytes: number,
): string {
  let text: unknown;
  try {
    text = codec.encode(value);
  } catch (err) {
    throw new KvError(
      plugin,
      'codec',
      `the codec could not encode the value of "${key}": ${messageOf(err)}`,
      'Store values the codec accepts (plain JSON data by default), or pass another codec',
      err,
    );
  }
  if (typeof text !== 'string')
    throw new KvError(
      plugin,
      'invalid-value',
      `the value of "${key}" encodes to ${typeof text}, not text`,
      'Store a value the codec turns into text (undefined is not one: use delete)',
    );
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes)
    throw new KvError(
      plugin,
      'value-too-large',
      `the value of "${key}" is ${bytes} bytes, more than the limit of ${maxBytes}`,
      'Store large data elsewhere and keep a reference here, or raise the maxValueBytes setting',
    );
  return text;
}

/** Checks a TTL in ms. */
export function checkTtl(plugin: string, ttl: unknown): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0)
    throw new KvError(
      plugin,
      'invalid-option',
      `ttl must be a positive whole number of ms, not ${String(ttl)}`,
      'Pass { ttl: 5000 } for five seconds, or no ttl',
    );
  return ttl;
}

/** Checks a revision given by the caller. */
export function checkRevision(plugin: string, revision: unknown, what: string): number {
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0)
    throw new KvError(
      plugin,
      'invalid-option',
      `${what} must be a whole number >= 0, not ${String(revision)}`,
      'Pass a revision read from get(), put() or revision()',
    );
  return revision;
}

/** JSON, the default codec. */
export const jsonCodec: Codec = {
  encode: (value) => JSON.stringify(value),
  decode: (text) => JSON.parse(text) as unknown,
};
