// E2E global setup: build the app with Vite's JS API into a temporary folder, serve it with `vite preview`
// on a free port, and hand the URL to the tests (`inject('baseUrl')`). Teardown closes the server and
// deletes the build.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** e.g. http://127.0.0.1:41234/ */
    baseUrl: string;
  }
}

const root = resolve(import.meta.dirname, '../..');
const configFile = join(root, 'vite.config.ts');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Own folder per run, so concurrent builds (dev, other runs) never overwrite each other's dist/.
  const outDir = await mkdtemp(join(tmpdir(), 'fwd2bot-e2e-'));
  await build({ root, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({
    root, configFile, logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  project.provide('baseUrl', `http://127.0.0.1:${port}/`);
  return async () => {
    await server.close();
    await rm(outDir, { recursive: true, force: true });
  };
}
