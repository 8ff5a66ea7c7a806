import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries keep the architecture visible: pure stages never reach the shell.
const pure = (from, banned) => ({
  files: [`src/${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...banned.map((dir) => ({
            group: [`**/${dir}/*`],
            message: `src/${from} must not import src/${dir}`,
          })),
          {
            group: ['node:fs', 'node:net', 'node:https', 'node:http', 'node:child_process', 'fs'],
            message: 'pure module: no I/O',
          },
          {
            group: ['@kubernetes/client-node', 'chalk', 'ora'],
            message: 'only src/cluster and src/cli may import these',
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', '*.config.js', 'scripts/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  // Plain JS/MJS (test/golden/cases.js, test/helpers/trace-imports.mjs, ...) is not in the TS project:
  // lint it without type information, as Node ESM.
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  // Tests handle JSON-shaped data (API responses, parsed manifests): the `any`-tracking rules only add noise there.
  {
    files: ['test/**/*.ts', 'test/**/*.js', 'test/**/*.mjs'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  pure('appfile', ['compile', 'workflow', 'engine', 'cluster', 'cli', 'sandbox']),
  pure('compile', ['workflow', 'engine', 'cluster', 'cli', 'sandbox']),
  pure('workflow', ['engine', 'cluster', 'cli', 'sandbox']),
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@kubernetes/client-node', 'chalk', 'ora'],
              message: 'engine talks to the cluster through src/cluster',
            },
            { group: ['**/cli/*'] },
          ],
        },
      ],
    },
  },
);
