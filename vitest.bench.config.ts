import { defineConfig, mergeConfig } from 'vitest/config';
import browserConfig from './vitest.browser.config';

// Benchmarks in the browser: same Chromium as the browser tests, files under bench/.
// Each bench writes bench/results/<area>.json (ratios measured side by side in one run).
export default mergeConfig(browserConfig, defineConfig({
  test: {
    include: ['bench/**/*.bench.browser.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
  },
}));
