#!/usr/bin/env -S npx tsx
// fwd2bot: the engine on the command line (onnxruntime-node, CPU).
//
//   fwd2bot index <folder> [--out library.f2blib]      compress every PNG photo, write a library file
//   fwd2bot ask <image.png> "<question>" [--k K']      answer from the photo's summary tokens (streamed)
//   fwd2bot search "<query>" [--library file] [--top 10]
//   common: --model <package dir> (default public/models/default), --threads 2
//   ask:    --max-tokens 64 --temperature 0 --top-p 1 --seed 0
//
// Exit status: 0 done, 1 some photos failed / error, 2 bad usage.

import { readFile } from 'node:fs/promises';
import { Engine } from '../src/engine/core/engine';
import { Gallery } from '../src/engine/core/search';
import { hintOf } from '../src/engine/errors';
import { numberOpt, onlyOptions, parseArgs, stringOpt, UsageError, type Args } from './args';
import { indexFolder } from './indexFolder';
import { readLibraryEmbeddings } from './libraryEmbeddings';
import { folderSource } from './nodeSource';
import { createNodeBackend } from './ortNode';
import { decodePng } from './png';

export const DEFAULT_MODEL_DIR = 'public/models/default';
export const DEFAULT_LIBRARY = 'fwd2bot-library.f2blib';

const USAGE = `usage:
  fwd2bot index <folder> [--out ${DEFAULT_LIBRARY}] [--model dir]
  fwd2bot ask <image.png> "<question>" [--k K'] [--max-tokens 64] [--temperature 0] [--top-p 1] [--seed 0] [--model dir]
  fwd2bot search "<query>" [--library ${DEFAULT_LIBRARY}] [--top 10] [--model dir]
options for all: --model <package folder> (default ${DEFAULT_MODEL_DIR}), --threads <n> (default 2)`;

async function loadEngine(a: Args): Promise<Engine> {
  const dir = stringOpt(a, 'model', DEFAULT_MODEL_DIR);
  const threads = numberOpt(a, 'threads', 2, (n) => Number.isInteger(n) && n >= 1);
  const engine = await Engine.load(createNodeBackend({ threads }), folderSource(dir));
  process.stderr.write(`model ${engine.info.name} (${engine.info.modelId}), K=${engine.info.K}, d=${engine.info.d}, loaded in ${engine.info.loadMs.toFixed(0)} ms\n`);
  return engine;
}

async function cmdIndex(a: Args): Promise<number> {
  onlyOptions(a, ['model', 'threads', 'out']);
  const [folder] = a.positional;
  if (!folder || a.positional.length !== 1) throw new UsageError('index takes one folder');
  const engine = await loadEngine(a);
  try {
    const r = await indexFolder(engine, folder, { out: stringOpt(a, 'out', DEFAULT_LIBRARY) });
    for (const f of r.failed) process.stderr.write(`  failed: ${f.file}: ${f.reason}\n`);
    return r.failed.length ? 1 : 0;
  } finally {
    await engine.release();
  }
}

async function cmdAsk(a: Args): Promise<number> {
  onlyOptions(a, ['model', 'threads', 'k', 'max-tokens', 'temperature', 'top-p', 'seed']);
  const [image, question] = a.positional;
  if (!image || !question || a.positional.length !== 2) throw new UsageError('ask takes an image and a question (quote it)');
  const engine = await loadEngine(a);
  try {
    const png = decodePng(new Uint8Array(await readFile(image)), image);
    const c = await engine.compressImage(png, png.orientation);
    // Answer from the tokens as the library would store them (fp16), like the web app does.
    const chat = engine.openChat({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens }, { kPrime: numberOpt(a, 'k', c.K, Number.isInteger) });
    const it = chat.ask(question, {
      maxTokens: numberOpt(a, 'max-tokens', 64, (n) => Number.isInteger(n) && n >= 1),
      temperature: numberOpt(a, 'temperature', 0, (n) => n >= 0),
      topP: numberOpt(a, 'top-p', 1, (n) => n > 0 && n <= 1),
      seed: numberOpt(a, 'seed', 0, Number.isInteger),
    });
    let r = await it.next();
    while (!r.done) {
      process.stdout.write(r.value.delta);
      r = await it.next();
    }
    process.stdout.write('\n');
    const s = r.value.stats;
    process.stderr.write(`${s.generatedTokens} tokens (${r.value.reason}), first after ${s.ttftMs.toFixed(0)} ms, ${(s.generatedTokens / Math.max(s.decodeMs / 1000, 1e-9)).toFixed(1)} tokens/s\n`);
    chat.dispose();
    return 0;
  } finally {
    await engine.release();
  }
}

async function cmdSearch(a: Args): Promise<number> {
  onlyOptions(a, ['model', 'threads', 'library', 'top']);
  const [query] = a.positional;
  if (!query || a.positional.length !== 1) throw new UsageError('search takes one query (quote it)');
  const top = numberOpt(a, 'top', 10, (n) => Number.isInteger(n) && n >= 1);
  const engine = await loadEngine(a);
  try {
    const lib = await readLibraryEmbeddings(stringOpt(a, 'library', DEFAULT_LIBRARY), engine.info.modelId, engine.info.d);
    if (lib.skipped.length) process.stderr.write(`${lib.skipped.length} photos left out (first: ${lib.skipped[0].name}: ${lib.skipped[0].reason})\n`);
    if (lib.photoIds.length === 0) {
      process.stderr.write('The library holds no photos indexed with this model: run `fwd2bot index <folder>` with the same --model first.\n');
      return 1;
    }
    const t0 = performance.now();
    const hits = await engine.search(query, top, new Gallery(lib));
    const names = new Map(lib.photoIds.map((id, i) => [id, lib.names[i]]));
    hits.forEach((h, i) => process.stdout.write(`${String(i + 1).padStart(3)}  ${h.score.toFixed(4)}  ${names.get(h.photoId)}\n`));
    process.stderr.write(`searched ${lib.photoIds.length} photos in ${(performance.now() - t0).toFixed(1)} ms\n`);
    return 0;
  } finally {
    await engine.release();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    const a = parseArgs(rest);
    switch (cmd) {
      case 'index': return await cmdIndex(a);
      case 'ask': return await cmdAsk(a);
      case 'search': return await cmdSearch(a);
      case undefined: case 'help': case '--help': case '-h':
        process.stdout.write(`${USAGE}\n`);
        return cmd === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`fwd2bot: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`fwd2bot: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n`);
    const hint = hintOf(e);
    if (hint) process.stderr.write(`  what to do: ${hint}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
