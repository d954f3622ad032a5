// ESLint flat config for the whole monorepo: type-checked typescript-eslint rules, the one-way layering
// of DESIGN.md, and no deep imports across packages.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The layering, left to right: a package may import only from packages to its left. */
const layers = [
  '@vmkit/vim',
  '@vmkit/session',
  '@vmkit/transfer',
  '@vmkit/connector',
  '@vmkit/vmdk-driver',
];
const layerDirs = {
  '@vmkit/vim': 'packages/vim',
  '@vmkit/session': 'packages/session',
  '@vmkit/transfer': 'packages/transfer',
  '@vmkit/connector': 'packages/connector',
  '@vmkit/vmdk-driver': 'packages/vmdk-driver',
};

const deepImportPatterns = [
  {
    group: ['@vmkit/*/src', '@vmkit/*/src/*', '@vmkit/*/dist', '@vmkit/*/dist/*', 'vmkit/src/*', 'vmkit/dist/*'],
    message: 'Import another package only through its public entry (`@vmkit/x`), never its src/ or dist/.',
  },
  {
    group: ['**/packages/*/src/*', '**/apps/*/src/*', '**/packages/*/dist/*', '**/apps/*/dist/*'],
    message: 'Relative imports must not cross package boundaries; import the package by name.',
  },
];

const layerConfigs = layers.map((name, index) => ({
  files: [`${layerDirs[name]}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...deepImportPatterns,
          ...(index < layers.length - 1
            ? [
                {
                  group: [...layers.slice(index + 1), '@vmkit/legacy', 'vmkit'],
                  message: `Layering is one-way (vim <- session <- transfer <- connector <- vmdk-driver <- apps): ${name} may not import a package to its right.`,
                },
              ]
            : [{ group: ['@vmkit/legacy', 'vmkit'], message: 'Packages never import the apps.' }]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.turbo/**',
      '**/coverage/**',
      '**/src/generated/**',
      'tools/vcsim/.cache/**',
      'tools/bench/.work/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', '*/*/*.mjs', '*/*/bin/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: deepImportPatterns }],
      'no-console': 'error',
    },
  },
  ...layerConfigs,
  {
    // Command lines, tools and tests may print.
    files: ['apps/cli/**', 'tools/**', '**/*.test.ts', '**/bin/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
