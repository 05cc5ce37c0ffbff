import express, { type RequestHandler } from 'express';

/**
 * A JSON body parser with a size limit and a limit on how deep objects and
 * arrays nest. Only UTF-8 is taken (RFC 8259): the nesting is counted on the
 * bytes, which in UTF-16 can hide a bracket inside what looks like a string.
 */
export function jsonBody(limit: string, depth: number): RequestHandler {
  return express.json({
    limit,
    verify: (_req, _res, buf, encoding) => {
      if (encoding !== 'utf-8') {
        throw Object.assign(new Error(`charset ${encoding} is not taken: send UTF-8 JSON`), {
          status: 415,
          type: 'charset.unsupported',
        });
      }
      if (nesting(buf) > depth) {
        throw Object.assign(new Error(`the JSON body nests deeper than ${depth} levels`), {
          status: 400,
          type: 'entity.too.deep',
        });
      }
    },
  });
}

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
