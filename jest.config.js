/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // Files named *.<db>.spec.ts test what only that database has (LISTEN/NOTIFY, …).
  testPathIgnorePatterns: ['/node_modules/', ...['postgres', 'mysql', 'sqlite', 'sqlite3']
    .filter((db) => db !== (process.env.TEST_DB ?? 'sqlite'))
    .map((db) => `\\.${db}\\.spec\\.ts$`),
    // The dialect suite runs every database itself: once per CI run, with the SQLite pass.
    ...((process.env.TEST_DB ?? 'sqlite') === 'sqlite' ? [] : ['/test/dialects/'])],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // The sample imports the package by its name (tsconfig.json `paths`).
  moduleNameMapper: { '^nestjs-tasks$': '<rootDir>/src/index.ts' },
  testTimeout: 60_000,
  // Worker processes are spawned by the tests themselves; Jest runs files one at a time (--runInBand).
  maxWorkers: 1,
};
