import { defineConfig } from 'vitest/config';

// End-to-end: playwright-core drives the production build (served by `vite preview`) in Chromium.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
