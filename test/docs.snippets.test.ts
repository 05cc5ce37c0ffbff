import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every ```ts or ```js block in docs/ and the README whose first line is `// examples/<file>`
// must appear in that file (whitespace aside), which CI runs: the docs cannot rot.
const root = fileURLToPath(new URL('..', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The code without whitespace: the formatter re-indents and re-wraps snippets cut from deeper code. */
const unindented = (text: string) => text.replace(/\s+/g, '');

describe('documentation snippets', () => {
  for (const page of pages) {
    const text = readFileSync(`${root}${page}`, 'utf8');
    const blocks = [...text.matchAll(/```(?:ts|js)\n\/\/ (examples\/\S+)\n([\s\S]*?)```/g)];
    for (const [, file, body] of blocks) {
      it(`${page}: snippet from ${file} is current`, () => {
        const source = readFileSync(`${root}${file}`, 'utf8');
        expect(unindented(source)).toContain(unindented(body!).trim());
      });
    }
  }

  it('checks every TypeScript and JavaScript block: each names the example it comes from', () => {
    for (const page of pages) {
      const text = readFileSync(`${root}${page}`, 'utf8');
      const unchecked = [
        ...text.matchAll(/```(?:ts|js|typescript|javascript)\n(?!\/\/ examples\/)(.*)/g),
      ];
      expect(unchecked.map((m) => `${page}: ${m[1]}`)).toEqual([]);
    }
  });
});
