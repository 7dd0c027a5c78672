// Lint: typescript-eslint's recommended rules, Prettier for layout, and the layering of
// ARCHITECTURE.md as import boundaries (eslint-plugin-boundaries).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/** The layers of src/, lowest first; each imports itself and only the layers `allow` names. */
const LAYERS = [
  { type: 'lib', allow: [] },
  { type: 'db', allow: ['lib'] },
  { type: 'crypto', allow: ['lib', 'db'] },
  { type: 'domain', allow: ['lib', 'db', 'crypto'] },
  { type: 'oauth', allow: ['lib', 'db', 'crypto', 'domain'] },
  { type: 'graphql', allow: ['lib', 'db', 'crypto', 'domain', 'oauth'] },
  { type: 'http', allow: ['lib', 'db', 'crypto', 'domain', 'oauth', 'graphql'] },
  // The `apiauth` CLI: a top layer on the typed SDK (sdk/, outside src/) and lib.
  { type: 'cli', allow: ['lib'] },
];

/**
 * `apiauth admin reset-credentials` works on the local database, below the Management API: the one
 * CLI file that may use every layer (and the configuration), like the composition root.
 */
const CLI_ADMIN = 'src/cli/admin-reset-credentials.ts';

/** The composition root (src/app.ts, main.ts, primary.ts, tracing.ts) wires every layer; no layer imports it. */
const ROOT = { regex: '^(\\.\\./)+(app|main|primary|tracing)$', message: 'Layers do not import the composition root' };
/** The configuration is read by the root and the HTTP layer's wiring; lower layers get values passed in. */
const CONFIG = { regex: '^(\\.\\./)+config$', message: 'Only the composition root and src/http read the configuration' };
/** Persistence stays in the domain: above it, no TypeORM handle to query with. */
const NO_DATABASE_HANDLES = {
  name: 'typeorm',
  importNames: ['DataSource', 'EntityManager', 'Repository', 'QueryRunner'],
  message: 'Database access belongs in src/domain or src/db',
};
const DATABASE_ACCESS = '^(query|manager|createQueryBuilder|getRepository|createQueryRunner|transaction)$';

export default tseslint.config(
  { ignores: ['dist/**', 'sdk/dist/**', 'node_modules/**', 'sdk/generated/**', 'test-output/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  // The console runs in the browser (bundled by scripts/build-explorer.mjs).
  {
    files: ['console/**/*.{js,jsx}'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { ecmaFeatures: { jsx: true } } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // JSON bodies in tests and GraphQL plumbing are `any` on purpose; tsc checks the rest strictly.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'boundaries/elements': LAYERS.map(({ type }) => ({ type, pattern: `src/${type}`, partialMatch: false })),
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: LAYERS.map(({ type, allow }) => ({
            from: { element: { type } },
            allow: { to: { element: { types: { anyOf: [type, ...allow] } } } },
          })),
        },
      ],
    },
  },
  {
    files: ['src/{lib,db,crypto,domain}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ROOT, CONFIG] }] },
  },
  {
    files: ['src/{oauth,graphql}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_DATABASE_HANDLES], patterns: [ROOT, CONFIG] }] },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_DATABASE_HANDLES], patterns: [ROOT] }] },
  },
  {
    files: ['src/cli/**/*.ts'],
    ignores: [CLI_ADMIN],
    rules: { 'no-restricted-imports': ['error', { paths: [NO_DATABASE_HANDLES], patterns: [ROOT, CONFIG] }] },
  },
  { files: [CLI_ADMIN], rules: { 'boundaries/dependencies': 'off', 'no-restricted-imports': ['error', { patterns: [ROOT] }] } },
  {
    files: ['src/{oauth,graphql,http}/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `MemberExpression[property.name=/${DATABASE_ACCESS}/][object.name=/^(dataSource|em|manager)$/]`,
          message: 'Database access belongs in src/domain or src/db',
        },
        {
          selector: `MemberExpression[property.name=/${DATABASE_ACCESS}/][object.property.name=/^(dataSource|manager)$/]`,
          message: 'Database access belongs in src/domain or src/db',
        },
      ],
    },
  },
  prettier,
);
