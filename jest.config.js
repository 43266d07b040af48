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
  moduleNameMapper: {
    // The sample imports the package by its name (tsconfig.json `paths`).
    '^nestjs-tasks$': '<rootDir>/src/index.ts',
    // The sqlite3 driver exists only in TypeORM 0.3 (`type: 'sqlite'`): that run loads 0.3 for
    // every import of typeorm, the library's, the tests' and @nestjs/typeorm's alike.
    ...(process.env.TEST_DB === 'sqlite3'
      ? { '^typeorm$': '<rootDir>/node_modules/typeorm03', '^typeorm/(.*)$': '<rootDir>/node_modules/typeorm03/$1' }
      : {}),
  },
  testTimeout: 60_000,
  // Worker processes are spawned by the tests themselves; Jest runs files one at a time (--runInBand).
  maxWorkers: 1,
};
