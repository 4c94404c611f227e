// Engine speed in Chromium, on WebGPU (SwiftShader here) and wasm, side by side: time to first token from
// stored tokens vs the base model reading all vision tokens, decode tokens/s, indexing photos/s, search
// latency over 1k / 10k / 100k stored embeddings (JS scan vs the similarityTopK kernel), JS heap.
// Uses public/models/default when it exists, else the tiny test fixture. Writes bench/results/engine.json.
// Run: nice -n 10 npx vitest run --config vitest.bench.config.ts bench/engine.bench.browser.ts

import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { Engine } from '../src/engine/core/engine';
import { decodeImage } from '../src/engine/imageDecode';
import { createWebBackend } from '../src/engine/webBackend';
import { getOrtDevice, selectBackend } from '../src/gpu/ort';
import { preprocessImage } from '../src/model/image';
import { urlSource } from '../src/model/package';
import { MemoryProbe, measureDecode, measureIndexing, measureSearch, measureTtft, type SearchVariant } from './engineBench';

const heap = () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;

async function pickModel(): Promise<string> {
  const r = await fetch('/models/default/manifest.json');
  if (r.ok && (r.headers.get('content-type') ?? '').includes('json')) return '/models/default/';
  return '/test/fixtures/tiny-package/';
}

const gpuSearch: SearchVariant = {
  name: 'gpuKernel',
  async make(data, _N, d) {
    if ((await selectBackend()).backend !== 'webgpu') return null;
    const k = await import('../src/kernels/similarityTopK');
    const store = k.createEmbeddingStore(await getOrtDevice(), { d, dtype: 'f16', initialCapacity: data.length / d });
    k.appendEmbeddings(store, data);
    return { topK: async (q, kk) => k.searchTopK(store, q, kk), release: () => k.destroyEmbeddingStore(store) };
  },
};

test('engine benchmark', async () => {
  const base = await pickModel();
  const results: Record<string, unknown> = {
    area: 'engine', measuredAt: new Date().toISOString(), userAgent: navigator.userAgent, model: base,
    note: 'Chromium headless, WebGPU on SwiftShader (CPU) here, 2 CPU cores (run with no other jobs): absolute numbers are noisy, ratios within one run are the point.',
    backends: {},
  };
  const choice = await selectBackend();
  const backends = choice.backend === 'webgpu' ? (['webgpu', 'wasm'] as const) : (['wasm'] as const);
  const manifest = await (await fetch(`${base}manifest.json`)).json();
  const samples: string[] = manifest.files.map((f: { path: string }) => f.path).filter((p: string) => p.startsWith('samples/'));
  const blobs = await Promise.all(samples.map(async (s) => (await fetch(base + s)).blob()));
  for (const backend of backends) {
    const mem = new MemoryProbe(heap);
    mem.sample('start');
    const engine = await Engine.load(await createWebBackend({ backend }), urlSource(base));
    mem.sample('loaded');
    const pixelsOf = async (i: number) => preprocessImage(await decodeImage(blobs[i % blobs.length], engine.info.imageSize), engine.model.manifest.preprocessing);
    const px = await pixelsOf(0);
    const slow = backend === 'webgpu'; // SwiftShader: fewer repetitions
    const r: Record<string, unknown> = { loadMs: Math.round(engine.info.loadMs), devices: engine.info.devices };
    r.ttft = await measureTtft(engine, px, 'how many objects are there ?', slow ? 3 : 5);
    mem.sample('ttft');
    r.decode = await measureDecode(engine, px, slow ? 1 : 3, slow ? 16 : 32);
    mem.sample('decode');
    r.indexing = await measureIndexing(slow ? 4 : 8, async (i) => engine.compressPixels(await pixelsOf(i)));
    mem.sample('indexing');
    r.search = await measureSearch(engine, [1_000, 10_000, 100_000], slow ? 3 : 5, backend === 'webgpu' ? [gpuSearch] : []);
    mem.sample('search');
    r.memory = mem.result() ?? 'performance.memory unavailable';
    (results.backends as Record<string, unknown>)[backend] = r;
    await engine.release();
    expect((r.ttft as { fwd2botMs: number }).fwd2botMs).toBeGreaterThan(0);
  }
  await commands.writeFile('bench/results/engine.json', JSON.stringify(results, null, 2) + '\n');
});
