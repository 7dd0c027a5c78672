// Lint: typescript-eslint's recommended rules, Prettier for layout, and the layering of
// ARCHITECTURE.md as import boundaries (eslint-plugin-boundaries).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/** The layers of src/, lowest first; each may import only what `allow` names (and itself). */
const LAYERS = [
  { type: 'lib', pattern: 'src/lib', allow: [] },
  { type: 'db', pattern: 'src/db', allow: ['lib'] },
  { type: 'crypto', pattern: 'src/crypto', allow: ['lib', 'db'] },
  { type: 'domain', pattern: 'src/domain', allow: ['lib', 'db', 'crypto'] },
  { type: 'oauth', pattern: 'src/oauth', allow: ['lib', 'db', 'crypto', 'domain'] },
  { type: 'graphql', pattern: 'src/graphql', allow: ['lib', 'db', 'crypto', 'domain', 'oauth'] },
  { type: 'http', pattern: 'src/http', allow: ['lib', 'db', 'crypto', 'domain', 'oauth', 'graphql', 'config'] },
  // The validated configuration: read by the composition root and the HTTP layer's wiring.
  { type: 'config', pattern: 'src/config.ts', mode: 'file', allow: ['lib', 'crypto'] },
  // The composition root (app.ts, main.ts) wires every layer.
  { type: 'root', pattern: 'src/*.ts', mode: 'file', allow: ['lib', 'db', 'crypto', 'domain', 'oauth', 'graphql', 'http', 'config', 'root'] },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'sdk/generated/**', 'test-output/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests and GraphQL helpers use `any` for JSON bodies on purpose; the code is strict-typed by tsc.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'boundaries/elements': LAYERS.map(({ type, pattern, mode }) => ({ type, pattern, mode: mode ?? 'folder' })),
    },
    rules: {
      'boundaries/element-types': [
        'error',
        {
          default: 'disallow',
          rules: LAYERS.map(({ type, allow }) => ({ from: type, allow: [type, ...allow] })),
          message: '${file.type} may not import ${dependency.type}: layers only point down (see ARCHITECTURE.md)',
        },
      ],
    },
  },
  {
    // Persistence stays in the domain: no SQL, query runner or entity manager above it.
    files: ['src/oauth/**/*.ts', 'src/graphql/**/*.ts', 'src/http/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name=/^(query|manager|createQueryBuilder|getRepository|createQueryRunner|transaction)$/][object.name=/^(dataSource|em|manager|db)$/]",
          message: 'Database access belongs in src/domain or src/db',
        },
        {
          selector: "MemberExpression[property.name=/^(query|manager|createQueryBuilder|getRepository|createQueryRunner|transaction)$/][object.property.name=/^(dataSource|manager)$/]",
          message: 'Database access belongs in src/domain or src/db',
        },
      ],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'typeorm', importNames: ['DataSource', 'EntityManager', 'Repository', 'QueryRunner'], message: 'Database access belongs in src/domain or src/db', allowTypeImports: false }] },
      ],
    },
  },
  prettier,
);
