// ESLint flat config: typescript-eslint's recommended rules, plus the layer rules a linter can see and
// dependency-cruiser cannot (who may read process.env).
import tseslint from 'typescript-eslint';

const envRule = {
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'env', message: 'Only gateway/config.ts reads process.env (STYLE.md).' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'test-artifacts/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a union of string literals.' },
      ],
    },
  },
  {
    files: ['gateway/**/*.ts', 'connectors/**/*.ts', 'demo-registers/**/*.ts'],
    ignores: ['gateway/config.ts', 'demo-registers/*/main.ts'],
    rules: envRule,
  },
  {
    files: ['gateway/core/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The core does no I/O: pass configuration and clocks in.' },
        { name: 'fetch', message: 'The core does no I/O: use a Connector.' },
        { name: 'setTimeout', message: 'The core gets time through a Clock.' },
      ],
    },
  },
);
