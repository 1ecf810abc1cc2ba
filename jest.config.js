// Native ESM jest (NestJS 12 is ESM-only): run with NODE_OPTIONS=--experimental-vm-modules.
/** @type {import('jest').Config} */
const tsJest = [
  'ts-jest',
  {
    useESM: true,
    tsconfig: 'tsconfig.json',
    astTransformers: {
      before: [{ path: '<rootDir>/test/support/swagger-plugin.cjs' }],
    },
    // The swagger plugin needs the type checker, so ts-jest cannot run in isolatedModules mode.
    diagnostics: { ignoreCodes: [151002] },
  },
];
export default {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^#core/(.*)\\.js$': '<rootDir>/libs/core/src/$1',
    '^#migrations/(.*)\\.js$': '<rootDir>/migrations/$1',
    '^#testing/(.*)\\.js$': '<rootDir>/libs/testing/src/$1',
    '^#replication/(.*)\\.js$': '<rootDir>/libs/replication/src/$1',
    '^#sinks/(.*)\\.js$': '<rootDir>/libs/sinks/src/$1',
    '^#stream/(.*)\\.js$': '<rootDir>/libs/stream/src/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // Only the sources: .sluice/ (npm start's data) and dist/ must not be crawled.
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testEnvironment: 'node',
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.mjs',
  globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.mjs',
  maxWorkers: 2,
  // Jest waits 500 ms by default for a worker to exit on its own, then kills it and warns of leaked
  // handles. Here the workers (one sampled at 1 GB resident mid-run) took longer than that: every full
  // run warned, though no handle but stdio and IPC was open after any suite, and with 10 s allowed
  // the run ended without the warning within about 3 s. A worker that really leaks never exits.
  workerGracefulExitTimeout: 5_000,
  testTimeout: 60_000,
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.{spec,e2e-spec}.ts'],
};
