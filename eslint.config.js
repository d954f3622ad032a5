// ESLint flat config for the whole monorepo: type-checked typescript-eslint rules, the one-way layering
// of DESIGN.md, and no deep imports across packages.
import { readFileSync } from 'node:fs';
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

// The legacy import paths (apps/legacy) exist for consumers migrating from the Python stack; inside this
// repository they are banned, each with a message naming the package to import instead. The table is the
// one that @vmkit/legacy itself exports.
const legacyTable = JSON.parse(readFileSync(new URL('./apps/legacy/src/paths.json', import.meta.url), 'utf8'));
const legacyPathRules = legacyTable.map((p) => ({
  name: `@vmkit/legacy/${p.path}`,
  message: `Legacy path (deprecated, ${p.code}): import from ${p.use.join(' or ')} instead; apps/legacy/README.md maps each old name to its new one.`,
}));
const legacyImportPatterns = [
  {
    // The root and any other subpath of @vmkit/legacy; the known paths get their own message above.
    regex: `^@vmkit/legacy(?!/(?:${legacyTable.map((p) => p.path).join('|')})$)(/.*)?$`,
    message: 'The legacy paths are for consumers migrating from the Python stack: import the vmkit package itself (@vmkit/vim, @vmkit/session, @vmkit/transfer, @vmkit/connector or @vmkit/vmdk-driver); apps/legacy/README.md maps each path.',
  },
];

const layerConfigs = layers.map((name, index) => ({
  files: [`${layerDirs[name]}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: legacyPathRules,
        patterns: [
          ...deepImportPatterns,
          ...legacyImportPatterns,
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
      'no-restricted-imports': ['error', { paths: legacyPathRules, patterns: [...deepImportPatterns, ...legacyImportPatterns] }],
      'no-console': 'error',
    },
  },
  ...layerConfigs,
  {
    // @vmkit/legacy's own tests are the one place that imports the legacy paths.
    files: ['apps/legacy/src/**/*.test.ts', 'apps/legacy/test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: deepImportPatterns }] },
  },
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
