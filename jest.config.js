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
    '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60_000,
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.{spec,e2e-spec}.ts'],
};
