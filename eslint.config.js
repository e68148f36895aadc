import js from '@eslint/js';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

/**
 * Imports run one way: cli/ and bench/ -> rehearsal/ -> infra/ -> functions/ -> contracts/ (test/ may import
 * anything; events/ holds sample payloads for tests, rehearsals and bench). A file may not import a folder listed
 * against its own. The pattern is anchored at the repository root by the file's depth, so a nested folder that
 * happens to share a layer's name is not mistaken for it.
 */
export const FORBIDDEN_IMPORTS = {
  contracts: ['functions', 'infra', 'rehearsal', 'cli', 'bench', 'events', 'test'],
  functions: ['infra', 'rehearsal', 'cli', 'bench', 'events', 'test'],
  infra: ['rehearsal', 'cli', 'bench', 'events', 'test'],
  rehearsal: ['cli', 'bench', 'test'],
  cli: ['bench', 'test'],
  bench: ['cli', 'test'],
};
const MAX_DEPTH = 6;
const importDirection = Object.entries(FORBIDDEN_IMPORTS).flatMap(([layer, forbidden]) =>
  Array.from({ length: MAX_DEPTH }, (_, depth) => ({
    files: [`${layer}/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./){${depth + 1}}(${forbidden.join('|')})(/|$)`,
              message: `${layer}/ may not import ${forbidden.join(', ')}: imports run cli, bench -> rehearsal -> infra -> functions -> contracts.`,
            },
          ],
        },
      ],
    },
  })),
);

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'bench/out/', 'coverage/', '**/*.js', '!eslint.config.js', '!jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-expect-error': 'allow-with-description' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  ...importDirection,
  {
    files: ['cli/**/*.ts', 'bench/**/*.ts', 'infra/nag/doc.ts', 'infra/architecture/doc.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'assert*', 'Template.*'] }],
    },
  },
);
