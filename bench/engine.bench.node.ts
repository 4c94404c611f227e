// Engine speed on onnxruntime-node (CPU, what the CLI runs): the same measurements as the browser bench.
// Uses public/models/default when it exists, else the tiny test fixture. Writes bench/results/engine-node.json.
// Run: nice -n 10 npx tsx bench/engine.bench.node.ts

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderSource } from '../cli/nodeSource';
import { createNodeBackend } from '../cli/ortNode';
import { decodePng } from '../cli/png';
import { Engine } from '../src/engine/core/engine';
import { preprocessImage } from '../src/model/image';
import { MemoryProbe, measureDecode, measureIndexing, measureSearch, measureTtft } from './engineBench';

const dir = existsSync('public/models/default/manifest.json') ? 'public/models/default' : 'test/fixtures/tiny-package';
const threads = Number(process.env.FWD2BOT_THREADS ?? 2);
const mem = new MemoryProbe(() => process.memoryUsage().rss);
mem.sample('start');
const engine = await Engine.load(createNodeBackend({ threads }), folderSource(dir));
mem.sample('loaded');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const samples: string[] = manifest.files.map((f: { path: string }) => f.path).filter((p: string) => p.startsWith('samples/'));
const files = samples.map((s) => new Uint8Array(readFileSync(join(dir, s))));
const pixelsOf = (i: number) => {
  const png = decodePng(files[i % files.length]);
  return preprocessImage(png, engine.model.manifest.preprocessing, png.orientation);
};
const results: Record<string, unknown> = {
  area: 'engine-node', measuredAt: new Date().toISOString(), node: process.version, model: dir, threads,
  note: 'onnxruntime-node CPU, 2 CPU cores (run with no other jobs): absolute numbers are noisy, ratios within one run are the point.',
  loadMs: Math.round(engine.info.loadMs),
};
results.ttft = await measureTtft(engine, pixelsOf(0), 'how many objects are there ?', 9);
mem.sample('ttft');
results.decode = await measureDecode(engine, pixelsOf(0), 5, 64);
mem.sample('decode');
results.indexing = await measureIndexing(24, (i) => engine.compressPixels(pixelsOf(i)));
mem.sample('indexing');
results.search = await measureSearch(engine, [1_000, 10_000, 100_000], 5, []);
mem.sample('search');
results.memory = mem.result();
await engine.release();
writeFileSync('bench/results/engine-node.json', JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
