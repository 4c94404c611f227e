import { defineConfig } from 'vitest/config';

// Node unit tests: pure TypeScript (formats, math references, tokenizer, protocol) and onnxruntime-node.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['**/*.browser.test.ts', '**/*.browser.test.tsx', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
