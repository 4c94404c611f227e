// The shipped default model (public/models/default) on onnxruntime-node against the PyTorch reference the
// exporter wrote beside it (golden.json): the same checks as golden.test.ts on the tiny fixture, plus what
// only a trained model can show: on the sample photos' own questions the engine gives PyTorch's answers,
// and those answers are mostly right.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { folderSource } from '../../../cli/nodeSource';
import { createNodeBackend } from '../../../cli/ortNode';
import { decodePng } from '../../../cli/png';
import { Engine } from '../../../src/engine/core/engine';
import { preprocessImage } from '../../../src/model/image';
import { maxAbsDiff, runGolden, type Golden, type GoldenRun } from './golden';

const dir = fileURLToPath(new URL('../../../public/models/default/', import.meta.url));
const REBUILD = 'PYTHONPATH=python .venv/bin/python -m fwd2bot.export --weights python/checkpoints/fwd2bot.safetensors --out public/models/default --quant int8 --eval-json python/checkpoints/eval.json';
if (!existsSync(`${dir}manifest.json`)) throw new Error(`The default model package is missing at public/models/default; rebuild it with: ${REBUILD}`);
const golden = JSON.parse(readFileSync(`${dir}golden.json`, 'utf8')) as Golden;
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8'));
let engine: Engine;
let run: GoldenRun;

beforeAll(async () => {
  engine = await Engine.load(createNodeBackend(), folderSource(dir));
  run = await runGolden(engine, golden, async (file) => {
    const png = decodePng(new Uint8Array(readFileSync(`${dir}${file}`)), file);
    return preprocessImage(png, engine.model.manifest.preprocessing, png.orientation);
  }, { truth: Infinity });
}, 600_000);
afterAll(() => engine?.release());

describe('the default model package', () => {
  test('is lean (under 25 MB in all), int8, and every file it lists is there with its size', () => {
    let total = 0;
    for (const f of manifest.files as { path: string; bytes: number }[]) {
      expect(statSync(`${dir}${f.path}`).size, f.path).toBe(f.bytes);
      total += f.bytes;
    }
    expect(total).toBeLessThan(25 * 2 ** 20);
    expect(engine.info.quantization).toMatchObject({ decoder: 'int8' });
    expect(engine.info.tokenCounts).toEqual([1, 2, 4, 8, 16]);
  });

  test('vision tokens, compressed tokens and embeddings equal PyTorch within the golden tolerances', () => {
    for (const [i, g] of golden.images.entries()) {
      expect(maxAbsDiff(run.images[i].visionHead, g.vision_tokens_head), g.file).toBeLessThan(golden.tolerances.vision_tokens);
      expect(maxAbsDiff(run.images[i].compressed, g.compressed.flat()), g.file).toBeLessThan(golden.tolerances.compressed);
      expect(maxAbsDiff(run.images[i].embedding, g.embedding), g.file).toBeLessThan(golden.tolerances.embedding);
    }
  });

  test('greedy answers and captions: identical token ids to PyTorch for every (image, K\', question)', () => {
    let n = 0;
    for (const [i, g] of golden.images.entries()) {
      for (const got of run.images[i].answers) {
        expect(got.ids, `${g.file} K'=${g.answers[got.index].k} ${got.question}`).toEqual(g.answers[got.index].ids);
        n++;
      }
    }
    expect(n).toBe(golden.images.reduce((s, g) => s + g.answers.length, 0));
  });

  test('on the sample photos\' own questions: PyTorch\'s answers, far above a random model', () => {
    let right = 0, n = 0;
    for (const [i, g] of golden.images.entries()) {
      expect(g.truth?.length, `${g.file} has no truth questions in golden.json`).toBeGreaterThan(0);
      for (const [j, t] of g.truth!.entries()) {
        expect(run.images[i].truth[j].ids, `${g.file}: ${t.question}`).toEqual(t.ids);
        right += Number(run.images[i].truth[j].text === t.answer);
        n++;
      }
    }
    // A random-weight model of this vocabulary gets ~0 of these; the trained one's held-out VQA is in eval.json.
    expect(right / n).toBeGreaterThan(0.3);
  });

  test('search: the text embeddings and the top-10 ranking equal PyTorch', () => {
    for (const [i, q] of golden.queries.entries()) {
      expect(run.queries[i].ids, q.query).toEqual(q.ids);
      expect(maxAbsDiff(run.queries[i].embedding, q.embedding), q.query).toBeLessThan(golden.tolerances.embedding);
      expect(run.queries[i].ranking, q.query).toEqual(q.ranking);
    }
  });
});
