// ESLint flat config: typescript-eslint's recommended rules everywhere, plus the type-aware
// rules that catch real bugs in async code (a forgotten await, a promise passed where a
// callback is expected). Formatting is Prettier's job, so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'out/',
      'coverage/',
      '.cache/',
      '.scratch/',
      'infra/build/',
      'infra/.terraform/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Outside core, core is reached through its public API, functions/core/index.ts, or through
    // its two dependency-free modules where loading the models would be wrong (index.ts says
    // when). Tests are exempt: a unit test of one core module imports that module.
    files: ['**/*.ts'],
    ignores: ['functions/core/**', 'test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)core/(?!(index|vocabulary|analysis|rendering|projectFiles)$)',
              message:
                'Import core from its public API: functions/core (index.ts), or its light parts vocabulary, analysis, rendering.',
            },
          ],
        },
      ],
    },
  },
  {
    // Core is pure: image → faces → emotions → meme. It knows nothing of the cloud, the CLI,
    // the local stack or the tooling around it.
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(\\.\\./)+(cloud|cli|local|bench|test|models/(eval|fit|export|training))(/|$)|^@google-cloud/',
              message: 'functions/core must not depend on cloud code or tooling.',
            },
          ],
        },
      ],
    },
  },
  {
    // Plain CommonJS and browser scripts.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The upload page runs in the browser as an ES module.
    files: ['functions/cloud/page/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
);
