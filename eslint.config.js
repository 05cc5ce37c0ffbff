import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'examples/dynamic-plugins/plugins/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // plugins and flavors use the core as applications do: through its public entry
    // (and the loader and testing toolkit through theirs)
    files: ['plugins/**/*.ts', 'flavors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?!(index|loader/index|testing/index)\\.js$)',
              message:
                'Import the core from its public entry, ../../src/index.js (what `flavorkit` is); export what is missing from there.',
            },
          ],
        },
      ],
    },
  },
);
