import express, { type RequestHandler } from 'express';

/**
 * A JSON body parser with a size limit in bytes and a limit on how deep objects
 * and arrays nest. Only UTF-8 is taken (RFC 8259): the nesting is counted on the
 * bytes, which in UTF-16 can hide a bracket inside what looks like a string.
 */
export function jsonBody(limit: number, depth: number): RequestHandler {
  return express.json({
    limit,
    verify: (_req, _res, buf, encoding) => {
      if (encoding !== 'utf-8') {
        throw Object.assign(new Error(`charset ${encoding} is not taken: send UTF-8 JSON`), {
          status: 415,
          type: 'charset.unsupported',
        });
      }
      checkDepth(buf, depth);
    },
  });
}

/** Throws a 400 error when the JSON text in `buf` nests deeper than `depth`. */
export function checkDepth(buf: Buffer, depth: number): void {
  if (nesting(buf) > depth) {
    throw Object.assign(new Error(`the JSON body nests deeper than ${depth} levels`), {
      status: 400,
      type: 'entity.too.deep',
    });
  }
}

/**
 * Throws a 400 error unless the JSON text in `buf` is an object or an array,
 * as express's parser takes it (`strict`): never `null`, a number or a string.
 */
export function checkTopLevel(buf: Buffer): void {
  const first = buf.find((c) => !JSON_SPACE.has(c));
  if (first !== 0x7b && first !== 0x5b) {
    throw Object.assign(new Error('the JSON body must be an object or an array'), {
      status: 400,
      type: 'entity.parse.failed',
    });
  }
}

/** A size such as `100kb`, `1.5mb`, `512` (bytes; units b, kb, mb, gb of 1024) in bytes; undefined when it is none. */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const unit = UNITS[(match[2] ?? 'b').toLowerCase() as keyof typeof UNITS];
  return Math.floor(Number(match[1]) * unit);
}

/** What `parseSize` accepts. */
export const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;
const UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]);
const CLOSE = new Set([0x5d, 0x7d]);

/** The deepest nesting of `[` and `{` in JSON text, strings skipped; one pass, no parse. */
function nesting(buf: Buffer): number {
  let deepest = 0;
  let level = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (OPEN.has(c)) deepest = Math.max(deepest, ++level);
    else if (CLOSE.has(c)) level--;
  }
  return deepest;
}
