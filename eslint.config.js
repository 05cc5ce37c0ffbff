import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'examples/dynamic-plugins/plugins/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // lifecycle and store methods are async so that a throw becomes a rejection
      '@typescript-eslint/require-await': 'off',
      // a caught value passed on as it came is fine; a literal non-Error is not
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // messages name a bad value with String() on purpose, whatever it is
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // tests throw non-Error values on purpose, read JSON bodies (which are `any`)
    // and hand methods and async callbacks to assertions and servers
    files: ['test/**', 'examples/**/*.test.ts'],
    rules: {
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
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
