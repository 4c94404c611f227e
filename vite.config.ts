import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { devCsp, productionCsp } from './src/pwa/csp.js';
import { cspMetaPlugin, serviceWorkerPlugin } from './src/pwa/vitePlugin.js';

// Cross-origin isolation lets onnxruntime-web's wasm backend use threads (SharedArrayBuffer).
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The Content-Security-Policy (src/pwa/csp.ts): strict for the production build (`vite preview`, and a
// <meta> in the built index.html for static hosts); the dev server adds 'unsafe-inline' for Vite's inline
// React Fast Refresh preamble and injected <style> elements.
export const productionHeaders = { ...isolationHeaders, 'Content-Security-Policy': productionCsp };
export const devHeaders = { ...isolationHeaders, 'Content-Security-Policy': devCsp };

export default defineConfig({
  // serviceWorkerPlugin writes dist/sw.js (offline: app shell precache, model packages cached and checked).
  plugins: [react(), serviceWorkerPlugin(), cspMetaPlugin()],
  server: { headers: devHeaders },
  preview: { headers: productionHeaders },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  optimizeDeps: { include: ['onnxruntime-web', 'onnxruntime-web/webgpu', 'idb'] },
});
