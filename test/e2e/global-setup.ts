// E2E global setup: build the app with Vite's JS API into a temporary folder, serve it with `vite preview`
// on a free port, and hand the URL to the tests (`inject('baseUrl')`). Teardown closes the server and
// deletes the build. The tiny test model package is copied into the build at /test/fixtures/tiny-package/
// (the production build serves only public/ and dist), so tests open the app with
// `?model=/test/fixtures/tiny-package/` (`inject('fixtureModelUrl')`).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** e.g. http://127.0.0.1:41234/ */
    baseUrl: string;
    /** Path of the tiny test model package inside the served build. */
    fixtureModelUrl: string;
  }
}

const root = resolve(import.meta.dirname, '../..');
const configFile = join(root, 'vite.config.ts');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Own folder per run, so concurrent builds (dev, other runs) never overwrite each other's dist/.
  const outDir = await mkdtemp(join(tmpdir(), 'fwd2bot-e2e-'));
  // Vitest sets NODE_ENV=test, and Vite bundles what NODE_ENV says: without this the "production build"
  // carried React's development build (jsxDEV, 580 KB instead of 350 KB, several times slower to render).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root, configFile, logLevel: 'warn', mode: 'production', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const fixtureModelUrl = '/test/fixtures/tiny-package/';
  await cp(join(root, 'test/fixtures/tiny-package'), join(outDir, fixtureModelUrl), { recursive: true });
  const server = await preview({
    root, configFile, logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  project.provide('baseUrl', `http://127.0.0.1:${port}/`);
  project.provide('fixtureModelUrl', fixtureModelUrl);
  return async () => {
    await server.close();
    await rm(outDir, { recursive: true, force: true });
  };
}
