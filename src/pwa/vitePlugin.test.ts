// The build half of offline support: what is precached, how the version changes, and that sw.js comes out as
// a classic script (a service worker registered without {type: 'module'} cannot import or export).
import { Script } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { buildManifest, compileServiceWorker, isPrecached, serviceWorkerScript } from './vitePlugin';

const files = [
  { path: 'index.html', content: '<!doctype html>' },
  { path: 'assets/index-CzDsJP5e.js', content: 'console.log(1)' },
  { path: 'assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', content: new Uint8Array([0, 97, 115, 109]) },
  { path: 'manifest.webmanifest', content: '{}' },
  { path: 'icons/icon-192.png', content: new Uint8Array([137, 80]) },
  { path: 'models/default/decoder.onnx', content: new Uint8Array(8) },
  { path: 'assets/index-CzDsJP5e.js.map', content: '{}' },
  { path: 'sw.js', content: '' },
];

describe('precache list and version', () => {
  test('precaches the shell, never model packages, source maps or sw.js itself', () => {
    expect(isPrecached('models/default/decoder.onnx')).toBe(false);
    expect(isPrecached('models/')).toBe(false);
    expect(buildManifest(files, 'code').precache).toEqual([
      'assets/index-CzDsJP5e.js', 'assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', 'icons/icon-192.png', 'index.html', 'manifest.webmanifest',
    ]);
  });

  test('the version changes with index.html, a public file, a renamed asset or the worker code, and with nothing else', () => {
    const v = buildManifest(files, 'code').version;
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(buildManifest([...files].reverse(), 'code').version).toBe(v);
    const edit = (path: string, content: string, newPath = path) => files.map((f) => (f.path === path ? { path: newPath, content } : f));
    expect(buildManifest(edit('index.html', '<!doctype html><p>'), 'code').version).not.toBe(v);
    expect(buildManifest(edit('manifest.webmanifest', '{"a":1}'), 'code').version).not.toBe(v);
    expect(buildManifest(edit('assets/index-CzDsJP5e.js', 'x', 'assets/index-Ab12Cd34.js'), 'code').version).not.toBe(v);
    expect(buildManifest(files, 'other code').version).not.toBe(v);
    expect(buildManifest(edit('models/default/decoder.onnx', 'new weights'), 'code').version).toBe(v);
  });
});

describe('sw.js', () => {
  test('is a classic script: no import or export, and it parses as one', async () => {
    const code = await compileServiceWorker();
    expect(code).not.toMatch(/^\s*(import|export)\b/m);
    const script = await serviceWorkerScript(files);
    expect(script).toMatch(/^\/\/ fwd2bot service worker/);
    expect(script).toContain('const FWD2BOT_SW_BUILD = {"version":"');
    expect(() => new Script(script)).not.toThrow();
  });

  test('a source that imports something is refused with the reason', async () => {
    await expect(compileServiceWorker("import { x } from './y';\nconsole.log(x);\n"))
      .rejects.toThrow(/must stay a classic script, but it has "import \{ x \} from "\.\/y";": inline what it imports/);
  });
});
