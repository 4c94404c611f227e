import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { isolationHeaders } from './vite.config';

// Browser tests run in Debian's Chromium with WebGPU on SwiftShader (see ../shared/ENVIRONMENT.md).
export const chromiumArgs = [
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu',
];

export default defineConfig({
  plugins: [react()],
  server: { headers: isolationHeaders },
  optimizeDeps: { include: ['onnxruntime-web', 'onnxruntime-web/webgpu', 'idb', 'react', 'react-dom', 'react-dom/client', 'zustand', 'zustand/vanilla', 'onnx-proto'] },
  worker: { format: 'es' },
  test: {
    include: ['test/browser/**/*.browser.test.ts', 'src/**/*.browser.test.ts', 'src/**/*.browser.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
