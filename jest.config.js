/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Several instances share one database only with PostgreSQL: the embedded PGlite lives inside
  // one process, so the multi-instance suite runs in the PostgreSQL pass of .ci/run.
  // Rate limits shared through Redis need several instances too, and REDIS_URL.
  // Files that start the service on its embedded database whatever DATABASE_URL says (a data
  // directory's first start, its template, its lock) run in the embedded pass only.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.DATABASE_URL ? ['\\.embedded\\.test\\.ts$'] : []),
    ...(process.env.DATABASE_URL ? [] : ['\\.postgres\\.test\\.ts$']),
    ...(process.env.DATABASE_URL && process.env.REDIS_URL ? [] : ['\\.redis\\.test\\.ts$']),
  ],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // The SDK's modules import each other as './x.js' (what its ES module build needs): here, the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // jose (and oauth4webapi/openid-client) ship ESM only: let swc turn them into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|oauth4webapi|openid-client)/)'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 60_000,
  // Files run in parallel: each has its own database (PGlite, or a schema on PostgreSQL), its own
  // ports and Redis key prefix. Two workers for the 2-core machines the suite is measured on.
  maxWorkers: 2,
  reporters: ['<rootDir>/test/helpers/progress-reporter.js', 'summary'],
};
