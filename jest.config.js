// Jest runs the TypeScript sources as ESM (ts-jest), the way the toolkit ships.
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  reporters: ['default', '<rootDir>/dev/closing-line-reporter.ts'],
  clearMocks: true,
  setupFilesAfterEnv: ['<rootDir>/__tests__/helpers/no-node-noise.ts'],
  testTimeout: 30000
};
