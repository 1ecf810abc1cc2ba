import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.sluice/**', '.scratch/**', 'libs/testing/src/api-schema.ts', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      // Tenancy: feature code gets rows through AccountScopedRepository subclasses only.
      'no-restricted-syntax': [
        'error',
        {
          selector: "Decorator[expression.callee.name='InjectRepository']",
          message: 'Inject an account-scoped repository from libs/core/src/repositories instead of a raw TypeORM repository.',
        },
      ],
    },
  },
  { files: ['libs/core/src/repositories/**'], rules: { 'no-restricted-syntax': 'off' } },
);
