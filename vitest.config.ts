import { defineConfig } from 'vitest/config';

// Node unit tests: pure TypeScript (formats, math references, tokenizer, protocol) and onnxruntime-node.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['**/*.browser.test.ts', '**/*.browser.test.tsx', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
    // beforeAll hooks load ONNX models; on a loaded 2-core machine that took over the 10 s default (golden.test.ts)
    hookTimeout: 120_000,
  },
});
