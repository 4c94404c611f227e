// Loading a package: every file's size and sha256 is checked and the wrong one is named; progress counts
// bytes; sources for a URL (fake fetch), a picked folder and memory behave alike.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ModelFormatError, ModelLoadError } from '../../../src/model/errors';
import {
  derivedModelId, directoryHandleSource, loadPackage, memorySource, pickedFilesSource, requiredFiles, urlSource,
  type DirectoryHandleLike, type PackageProgress,
} from '../../../src/model/package';
import { readPackageFolder } from '../packageFolder';

const dir = fileURLToPath(new URL('../../fixtures/tiny-package/', import.meta.url));
const fixtureFiles = () => readPackageFolder(dir);

async function failure(p: Promise<unknown>): Promise<ModelFormatError> {
  try {
    await p;
  } catch (e) {
    return e as ModelFormatError;
  }
  throw new Error('expected the load to fail');
}

describe('loadPackage', () => {
  test('reads the fixture: required files only, checked, with byte progress ending at the total', async () => {
    const seen: PackageProgress[] = [];
    const pkg = await loadPackage(memorySource(fixtureFiles()), { onProgress: (p) => seen.push(p) });
    expect([...pkg.files.keys()].sort()).toEqual(requiredFiles(pkg.manifest).sort());
    const total = requiredFiles(pkg.manifest).reduce((s, f) => s + pkg.manifest.files.find((x) => x.path === f)!.bytes, 0);
    expect(seen.every((p) => p.total === total)).toBe(true);
    expect(seen.map((p) => p.loaded)).toEqual([...seen.map((p) => p.loaded)].sort((a, b) => a - b)); // never goes back
    expect(seen.at(-1)!.loaded).toBe(total);
  });

  test('the model id is derived from the weight files exactly as the exporter does', async () => {
    const pkg = await loadPackage(memorySource(fixtureFiles()));
    expect(await derivedModelId(pkg.manifest.files)).toBe(pkg.manifest.modelId);
  });

  test('a truncated decoder.onnx is refused, naming the file and both sizes', async () => {
    const files = fixtureFiles();
    const full = files.get('decoder.onnx')!;
    files.set('decoder.onnx', full.subarray(0, full.length - 100));
    const e = await failure(loadPackage(memorySource(files)));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toBe(`"decoder.onnx" is not a valid model file: has ${full.length - 100} bytes, the manifest says ${full.length} (truncated or an incomplete download)`);
    expect(e.data).toMatchObject({ file: 'decoder.onnx', expectedBytes: full.length, actualBytes: full.length - 100 });
  });

  test('one flipped byte in a LoRA file fails its sha256 check, naming the file', async () => {
    const files = fixtureFiles();
    const b = files.get('lora_generate.bin')!.slice();
    b[123] ^= 1;
    files.set('lora_generate.bin', b);
    const e = await failure(loadPackage(memorySource(files)));
    expect(e).toBeInstanceOf(ModelFormatError);
    expect(e.message).toMatch(/^"lora_generate.bin" is not a valid model file: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
    expect(e.data).toMatchObject({ file: 'lora_generate.bin' });
  });

  test('a missing file is named', async () => {
    const files = fixtureFiles();
    files.delete('tokenizer.json');
    const e = await failure(loadPackage(memorySource(files, 'the test package')));
    expect(e.message).toBe('"tokenizer.json" is not a valid model file: is missing from the test package');
  });

  test('a manifest whose model id was not updated with its weights is refused', async () => {
    const files = fixtureFiles();
    const m = JSON.parse(new TextDecoder().decode(files.get('manifest.json')));
    m.modelId = 'f2b-0000000000000000';
    files.set('manifest.json', new TextEncoder().encode(JSON.stringify(m)));
    const e = await failure(loadPackage(memorySource(files)));
    expect(e.message).toMatch(/field "modelId" is "f2b-0000000000000000" but the listed weight files give "f2b-[0-9a-f]{16}"/);
  });

  test('an aborted load stops with the abort reason', async () => {
    const ctl = new AbortController();
    ctl.abort(new DOMException('stop', 'AbortError'));
    const e = await failure(loadPackage(memorySource(fixtureFiles()), { signal: ctl.signal }));
    expect((e as unknown as DOMException).name).toBe('AbortError');
  });
});

describe('sources', () => {
  test('urlSource streams with byte progress, maps 404 to a missing file and network errors to ModelLoadError', async () => {
    const files = fixtureFiles();
    const requested: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      const u = String(url);
      requested.push(u);
      if (u.endsWith('/broken')) throw new TypeError('network down');
      const path = u.replace('http://models.test/pkg/', '');
      const body = files.get(path);
      if (!body) return new Response('not found', { status: 404 });
      // two chunks, so progress is reported mid-file
      const half = body.length >> 1;
      return new Response(new ReadableStream({ start(c) { c.enqueue(body.slice(0, half)); c.enqueue(body.slice(half)); c.close(); } }));
    }) as typeof fetch;
    const src = urlSource('http://models.test/pkg', fakeFetch);
    const bytes: number[] = [];
    const got = await src.read('decoder.onnx', { onBytes: (n) => bytes.push(n) });
    expect(got).toEqual(files.get('decoder.onnx'));
    expect(bytes.length).toBe(2);
    expect(bytes[1]).toBe(got.length);
    expect(requested[0]).toBe('http://models.test/pkg/decoder.onnx');
    await expect(src.read('nope.onnx')).rejects.toThrow('"nope.onnx" is not a valid model file: is missing from the package (HTTP 404 at http://models.test/pkg/nope.onnx)');
    await expect(src.read('broken')).rejects.toBeInstanceOf(ModelLoadError);
    const pkg = await loadPackage(src);
    expect(pkg.manifest.modelId).toMatch(/^f2b-/);
  });

  test('pickedFilesSource finds the package root when the user picks its parent folder', async () => {
    const picked = [...fixtureFiles()].map(([path, b]) => ({
      name: path.split('/').at(-1)!, webkitRelativePath: `models/tiny/${path}`, size: b.length,
      arrayBuffer: async () => b.slice().buffer,
    }));
    picked.push({ name: 'manifest.json', webkitRelativePath: 'models/tiny/samples/deeper/manifest.json', size: 2, arrayBuffer: async () => new ArrayBuffer(2) });
    const pkg = await loadPackage(pickedFilesSource(picked));
    expect(pkg.source).toBe('the folder you picked (models/tiny)');
    expect(pkg.files.get('decoder.onnx')!.length).toBeGreaterThan(1000);
  });

  test('directoryHandleSource walks subfolders of a picked directory and names missing files', async () => {
    const files = fixtureFiles();
    const notFound = () => Object.assign(new Error('A requested file or directory could not be found.'), { name: 'NotFoundError' });
    const dirAt = (prefix: string, name: string): DirectoryHandleLike => ({
      name,
      async getDirectoryHandle(n) {
        if (![...files.keys()].some((k) => k.startsWith(`${prefix}${n}/`))) throw notFound();
        return dirAt(`${prefix}${n}/`, n);
      },
      async getFileHandle(n) {
        const b = files.get(prefix + n);
        if (!b) throw notFound();
        return { getFile: async () => ({ name: n, size: b.length, arrayBuffer: async () => b.slice().buffer }) };
      },
    });
    const src = directoryHandleSource(dirAt('', 'tiny-package'));
    expect((await src.read('samples/sample_01.png')).length).toBe(files.get('samples/sample_01.png')!.length);
    await expect(src.read('layers/nope.onnx')).rejects.toThrow('"layers/nope.onnx" is not a valid model file: is missing from the folder you picked (tiny-package)');
    expect((await loadPackage(src)).manifest.name).toBe('fwd2bot-synthetic-tiny');
  });

  test('pickedFilesSource without a manifest says which folder to choose', () => {
    expect(() => pickedFilesSource([{ name: 'x.onnx', size: 1, arrayBuffer: async () => new ArrayBuffer(1) }])).toThrow(/no manifest.json/);
  });
});
