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
          ...banned.map((dir) => ({ group: [`**/${dir}/*`], message: `src/${from} must not import src/${dir}` })),
          { group: ['node:fs', 'node:net', 'node:https', 'node:http', 'node:child_process', 'fs'], message: 'pure module: no I/O' },
          { group: ['@kubernetes/client-node', 'chalk', 'ora'], message: 'only src/cluster and src/cli may import these' },
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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
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
        { patterns: [{ group: ['@kubernetes/client-node', 'chalk', 'ora'], message: 'engine talks to the cluster through src/cluster' }, { group: ['**/cli/*'] }] },
      ],
    },
  },
);
